from alembic import context

from registry_auth.tables import Base
from registry_common.db import run_alembic_env

run_alembic_env(context, Base.metadata)

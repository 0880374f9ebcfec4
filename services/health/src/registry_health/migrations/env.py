from alembic import context

from registry_common.db import run_alembic_env
from registry_health.tables import Base

run_alembic_env(context, Base.metadata)

"""Run the health service alone (distributed mode): `python -m registry_health`."""

from registry_common.serve import serve
from registry_health.app import create_app
from registry_health.config import HealthSettings

if __name__ == "__main__":
    # The receiver of the other services' logs keeps its own in-process (no shipping to itself).
    serve(lambda: create_app(HealthSettings()), "health", ship_logs=False)

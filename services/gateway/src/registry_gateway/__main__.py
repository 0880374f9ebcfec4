"""Run the gateway alone (distributed mode): `python -m registry_gateway`.
For the whole registry in one process use `python -m registry_launcher`."""

from registry_common.serve import serve
from registry_gateway.app import create_app
from registry_gateway.config import GatewaySettings

if __name__ == "__main__":
    serve(lambda: create_app(GatewaySettings()), "gateway")

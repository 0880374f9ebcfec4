"""Run the auth service alone (distributed mode): `python -m registry_auth`."""

from registry_auth.app import create_app
from registry_auth.config import AuthSettings
from registry_common.serve import serve

if __name__ == "__main__":
    serve(lambda: create_app(AuthSettings()), "auth")

"""Run the lineage service alone (distributed mode): `python -m registry_lineage`."""

from registry_common.serve import serve
from registry_lineage.app import create_app
from registry_lineage.config import LineageSettings

if __name__ == "__main__":
    serve(lambda: create_app(LineageSettings()), "lineage")

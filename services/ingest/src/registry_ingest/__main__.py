"""Run the ingest service alone (distributed mode): `python -m registry_ingest`."""

from registry_common.serve import serve
from registry_ingest.app import create_app
from registry_ingest.config import IngestSettings

if __name__ == "__main__":
    serve(lambda: create_app(IngestSettings()), "ingest")

"""Run the scoring service alone (distributed mode): `python -m registry_scoring`."""

from registry_common.serve import serve
from registry_scoring.app import create_app
from registry_scoring.config import ScoringSettings

if __name__ == "__main__":
    serve(lambda: create_app(ScoringSettings()), "scoring")

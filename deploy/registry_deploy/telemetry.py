"""The ADOT collector configuration each task's sidecar runs (deploy/otel-collector.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

COLLECTOR_CONFIG = Path(__file__).resolve().parent.parent / "otel-collector.yaml"
HEALTH_EXPORTER = "otlphttp/health"


def collector_config(service: str, path: Path = COLLECTOR_CONFIG) -> dict[str, Any]:
    """The collector configuration for `service`'s task.

    Every task forwards traces and logs to the health service's OTLP receiver, except the
    health task itself: the health service records its own spans and logs in-process, and
    would otherwise count each of its requests twice.
    """
    config: dict[str, Any] = yaml.safe_load(path.read_text())
    if service == "health":
        del config["exporters"][HEALTH_EXPORTER]
        pipelines = config["service"]["pipelines"]
        for name in list(pipelines):
            exporters = [e for e in pipelines[name]["exporters"] if e != HEALTH_EXPORTER]
            if exporters:
                pipelines[name]["exporters"] = exporters
            else:
                del pipelines[name]  # a pipeline needs an exporter (logs: health only)
    return config


def collector_config_text(service: str) -> str:
    return yaml.safe_dump(collector_config(service), sort_keys=False)

"""Logs carry service and trace ids; spans reach the in-process hub; context crosses a carrier."""

from __future__ import annotations

import io
from pathlib import Path

import orjson

from registry_common.telemetry import (
    SPAN_HUB,
    add_log_sink,
    attached_context,
    configure_logging,
    create_tracer_provider,
    current_trace_id,
    extract_trace_context,
    get_logger,
    inject_trace_context,
    iter_span_tree,
    remove_log_sink,
)


def test_log_lines_are_json_with_service_and_trace_ids(tmp_path: Path) -> None:
    stream = io.StringIO()
    configure_logging("INFO", log_dir=tmp_path, stream=stream)
    provider = create_tracer_provider("ingest", "none")
    log = get_logger("ingest")
    try:
        with provider.get_tracer("t").start_as_current_span("op") as span:
            log.info("ingest.bundle.stored", artifact_id="a1", size=3)
            trace_id = format(span.get_span_context().trace_id, "032x")
        log.debug("ingest.hidden")  # below the level
    finally:
        configure_logging("INFO")
    lines = [orjson.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 1
    record = lines[0]
    assert record["event"] == "ingest.bundle.stored"
    assert record["service"] == "ingest"
    assert record["trace_id"] == trace_id
    assert len(record["span_id"]) == 16
    assert record["artifact_id"] == "a1"
    assert record["level"] == "info"
    file_lines = (tmp_path / "ingest.log").read_text().splitlines()
    assert orjson.loads(file_lines[0])["event"] == "ingest.bundle.stored"


def test_sinks_receive_records_until_removed() -> None:
    configure_logging("INFO", stream=io.StringIO())
    seen: list[dict[str, object]] = []
    add_log_sink(seen.append)
    get_logger("auth").info("auth.one")
    remove_log_sink(seen.append)
    get_logger("auth").info("auth.two")
    configure_logging("INFO")
    assert [r["event"] for r in seen] == ["auth.one"]


def test_trace_context_crosses_a_carrier_and_spans_reach_the_hub() -> None:
    SPAN_HUB.clear()
    publisher = create_tracer_provider("ingest", "inprocess")
    consumer = create_tracer_provider("scoring", "inprocess")
    with publisher.get_tracer("t").start_as_current_span("publish"):
        carrier = inject_trace_context()
        trace_id = current_trace_id()
    assert carrier["traceparent"].split("-")[1] == trace_id
    with (
        attached_context(extract_trace_context(carrier)),
        consumer.get_tracer("t").start_as_current_span("consume"),
    ):
        assert current_trace_id() == trace_id
    assert trace_id is not None
    spans = SPAN_HUB.by_trace(trace_id)
    assert {s.resource.attributes["service.name"] for s in spans} == {
        "registry-ingest",
        "registry-scoring",
    }
    tree = [(depth, span.name) for depth, span in iter_span_tree(spans)]
    assert tree == [(0, "publish"), (1, "consume")]


def test_no_trace_id_outside_a_span() -> None:
    assert current_trace_id() is None
    assert inject_trace_context() == {}


def test_library_logs_become_json_lines() -> None:
    import logging

    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    try:
        logging.getLogger("botocore.retries").warning("retrying %s", "PutObject")
    finally:
        configure_logging("INFO")
    record = orjson.loads(stream.getvalue().splitlines()[-1])
    assert record["event"] == "retrying PutObject"
    assert record["level"] == "warning"
    assert record["logger"] == "botocore.retries"

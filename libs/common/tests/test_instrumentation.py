"""Database queries and AWS calls become child spans of the current trace (and only then),
carrying the statement and the addressed resource but never values, bodies or secrets."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from botocore.exceptions import ClientError
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import text

from registry_common.aws import aws_client
from registry_common.db import create_engine
from registry_common.instrumentation import instrument_engine
from registry_common.settings import RuntimeSettings
from registry_common.telemetry import create_tracer_provider

SECRET = "s3cr3t-value-never-in-a-span"


def _provider() -> tuple[TracerProvider, InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    provider = create_tracer_provider("ingest", "none")
    provider.add_span_processor(SimpleSpanProcessor(memory))
    return provider, memory


async def test_queries_inside_a_trace_are_child_spans_without_values(tmp_path: Path) -> None:
    provider, memory = _provider()
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    instrument_engine(engine, provider)
    try:
        async with engine.begin() as conn:  # outside any trace: no span
            await conn.execute(text("CREATE TABLE t (name TEXT)"))
        assert memory.get_finished_spans() == ()

        tracer = provider.get_tracer("test")
        with tracer.start_as_current_span("POST /artifacts", kind=SpanKind.SERVER) as request:
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t (name) VALUES (:name)"), {"name": SECRET})
                await conn.execute(text("SELECT name FROM t WHERE name = :name"), {"name": SECRET})
    finally:
        await engine.dispose()

    spans = memory.get_finished_spans()
    queries = [s for s in spans if s.kind is SpanKind.CLIENT]
    statements = [str((s.attributes or {}).get("db.statement")) for s in queries]
    assert any(st.startswith("INSERT INTO t") for st in statements), statements
    assert any(st.startswith("SELECT name FROM t") for st in statements), statements
    parent = request.get_span_context().span_id
    assert all(s.parent is not None and s.parent.span_id == parent for s in queries)
    assert all((s.attributes or {}).get("db.system") == "sqlite" for s in queries)
    assert SECRET not in orjson.dumps([dict(s.attributes or {}) for s in spans]).decode()


@pytest.mark.integration
async def test_aws_calls_inside_a_trace_are_child_spans(aws_endpoint: str) -> None:
    provider, memory = _provider()
    runtime = RuntimeSettings(aws_endpoint_url=aws_endpoint)
    tracer = provider.get_tracer("test")
    async with aws_client(runtime, "s3", tracer_provider=provider) as s3:
        await s3.create_bucket(Bucket="traced-bucket")  # outside any trace: no span
        with tracer.start_as_current_span("POST /artifacts", kind=SpanKind.SERVER) as request:
            await s3.put_object(Bucket="traced-bucket", Key=f"a/{SECRET}", Body=SECRET.encode())
            with pytest.raises(ClientError):
                await s3.get_object(Bucket="traced-bucket", Key="missing")
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket="traced-bucket")
            async for _ in pages:
                pass

    calls = {s.name: s for s in memory.get_finished_spans() if s.kind is SpanKind.CLIENT}
    assert set(calls) == {"S3.PutObject", "S3.GetObject", "S3.ListObjectsV2"}
    put = calls["S3.PutObject"]
    assert put.parent is not None
    assert put.parent.span_id == request.get_span_context().span_id
    assert dict(put.attributes or {}) | {"aws.request_id": "x"} == {
        "rpc.system": "aws-api",
        "rpc.service": "S3",
        "rpc.method": "PutObject",
        "aws.region": "us-east-1",
        "aws.s3.bucket": "traced-bucket",
        "http.status_code": 200,
        "aws.request_id": "x",
    }
    failed = calls["S3.GetObject"]
    assert failed.status.status_code is StatusCode.ERROR
    assert (failed.attributes or {})["error.type"] == "NoSuchKey"
    shown = orjson.dumps([dict(s.attributes or {}) for s in calls.values()]).decode()
    assert SECRET not in shown
    assert "testing" not in shown  # the credentials

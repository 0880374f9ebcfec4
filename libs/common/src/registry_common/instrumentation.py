"""Database queries and AWS calls as child spans of the request (or event) that made them.

Both use the service's own tracer provider (several services share a process in embedded
mode, so nothing is installed globally), and both record only *inside* a trace: a query or
an AWS call made outside any request (an SQS long poll every second, a pool ping, a
background clean-up) would otherwise become a one-span trace of its own, drowning the
requests in noise. What a span may carry is deliberately narrow:

* a query: the SQL text with its placeholders (`db.statement`), the database system and
  name, never the bound parameter values (SQLAlchemy passes those separately);
* an AWS call: service, operation, region, HTTP status and request id, plus the bucket,
  queue or topic it addressed; never keys, bodies, messages or credentials.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.trace import INVALID_SPAN, Span, SpanKind, Status, StatusCode, TracerProvider
from sqlalchemy.ext.asyncio import AsyncEngine

DB_TRACER = "registry_common.db"
AWS_TRACER = "registry_common.aws"

# The one request parameter of each resource-addressing kind worth showing: which bucket,
# queue or topic. Object keys are not shown (they carry artifact ids, harmless, but paths of
# user uploads may not be), and message bodies never.
_RESOURCE_PARAMS = {
    "Bucket": "aws.s3.bucket",
    "QueueUrl": "aws.sqs.queue_url",
    "QueueName": "aws.sqs.queue_name",
    "TopicArn": "aws.sns.topic_arn",
    "Namespace": "aws.cloudwatch.namespace",
}


class _ChildSpansOnly:
    """A tracer that starts a span only when a trace is already current."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    def start_span(self, name: str, *args: Any, **kwargs: Any) -> Span:
        if not trace.get_current_span().get_span_context().is_valid:
            return INVALID_SPAN
        return self._tracer.start_span(name, *args, **kwargs)


def instrument_engine(engine: AsyncEngine, tracer_provider: TracerProvider) -> None:
    """Each statement `engine` runs inside a trace becomes a CLIENT span of `tracer_provider`.

    Uses the instrumentation's per-engine tracer, not `SQLAlchemyInstrumentor().instrument()`:
    that one is a process-wide singleton that also patches `create_engine` for one provider.
    """
    tracer = _ChildSpansOnly(tracer_provider.get_tracer(DB_TRACER))
    connections = NoOpMeterProvider().get_meter(DB_TRACER).create_up_down_counter("unused")
    EngineTracer(tracer, engine.sync_engine, connections)  # type: ignore[no-untyped-call]


def trace_aws_client(client: Any, service: str, tracer_provider: TracerProvider | None) -> Any:
    """Wrap an aiobotocore client's one entry point so each call inside a trace is a span.

    botocore's own instrumentation patches the synchronous `BaseClient._make_api_call`, which
    aiobotocore overrides with a coroutine, so it never sees our calls. Every operation,
    paginators included, goes through `_make_api_call`; an instance attribute shadows it.
    """
    if tracer_provider is None:
        return client
    tracer = tracer_provider.get_tracer(AWS_TRACER)
    original: Callable[[str, Mapping[str, Any]], Awaitable[Any]] = client._make_api_call
    region = getattr(getattr(client, "meta", None), "region_name", None)
    service_name = service.upper() if service in ("s3", "sns", "sqs") else service

    async def traced(operation_name: str, api_params: Mapping[str, Any]) -> Any:
        if not trace.get_current_span().get_span_context().is_valid:
            return await original(operation_name, api_params)
        attributes: dict[str, Any] = {
            "rpc.system": "aws-api",
            "rpc.service": service_name,
            "rpc.method": operation_name,
        }
        if region:
            attributes["aws.region"] = region
        for param, attribute in _RESOURCE_PARAMS.items():
            value = api_params.get(param)
            if isinstance(value, str):
                attributes[attribute] = value
        with tracer.start_as_current_span(
            f"{service_name}.{operation_name}",
            kind=SpanKind.CLIENT,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                response = await original(operation_name, api_params)
            except Exception as exc:
                error = getattr(exc, "response", None) or {}
                metadata = error.get("ResponseMetadata", {}) if isinstance(error, dict) else {}
                code = error.get("Error", {}).get("Code") if isinstance(error, dict) else None
                if metadata.get("HTTPStatusCode"):
                    span.set_attribute("http.status_code", int(metadata["HTTPStatusCode"]))
                span.set_attribute("error.type", str(code or type(exc).__name__))
                span.set_status(Status(StatusCode.ERROR, str(code or type(exc).__name__)))
                raise
            metadata = response.get("ResponseMetadata", {}) if isinstance(response, dict) else {}
            if metadata.get("HTTPStatusCode"):
                span.set_attribute("http.status_code", int(metadata["HTTPStatusCode"]))
            if metadata.get("RequestId"):
                span.set_attribute("aws.request_id", str(metadata["RequestId"]))
            return response

    client._make_api_call = traced
    return client

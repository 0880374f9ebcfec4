"""aiobotocore client factory: one place that knows the endpoint and region."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from opentelemetry.trace import TracerProvider

from registry_common.instrumentation import trace_aws_client
from registry_common.settings import RuntimeSettings


def aws_client(
    runtime: RuntimeSettings,
    service: str,
    *,
    tracer_provider: TracerProvider | None = None,
    **config: Any,
) -> AbstractAsyncContextManager[Any]:
    """An async client context for `service` ("s3", "sns", "sqs", ...).

    Retries are bounded ("standard" mode, 3 attempts) so an outage surfaces as an error in
    seconds instead of hanging the request that needs the component. With a
    `tracer_provider`, each call made inside a trace is a child span (`instrumentation.py`).
    Unset `aws_endpoint_url`: botocore's own resolution, which honours the per-service
    `AWS_ENDPOINT_URL_<SERVICE>` variables.
    """
    session = get_session()
    aio_config = AioConfig(
        retries={"total_max_attempts": 3, "mode": "standard"},
        connect_timeout=config.pop("connect_timeout", 3),
        read_timeout=config.pop("read_timeout", 30),
        **config,
    )
    client = session.create_client(
        service,
        region_name=runtime.aws_region,
        endpoint_url=runtime.aws_endpoint_url,
        config=aio_config,
    )
    return _traced(client, service, tracer_provider)


@asynccontextmanager
async def _traced(
    client_context: Any, service: str, tracer_provider: TracerProvider | None
) -> AsyncIterator[Any]:
    async with client_context as client:
        yield trace_aws_client(client, service, tracer_provider)

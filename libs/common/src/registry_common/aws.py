"""aiobotocore client factory: one place that knows the endpoint and region."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any, cast

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session

from registry_common.settings import RuntimeSettings


def aws_client(
    runtime: RuntimeSettings, service: str, **config: Any
) -> AbstractAsyncContextManager[Any]:
    """An async client context for `service` ("s3", "sns", "sqs", ...).

    Retries are bounded ("standard" mode, 3 attempts) so an outage surfaces as an error in
    seconds instead of hanging the request that needs the component.
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
    return cast(AbstractAsyncContextManager[Any], client)

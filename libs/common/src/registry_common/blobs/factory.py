"""Pick the blob store a deployment is configured for."""

from __future__ import annotations

from opentelemetry.trace import TracerProvider

from registry_common.blobs.port import BlobStore
from registry_common.settings import RuntimeSettings


def create_blob_store(
    runtime: RuntimeSettings, *, tracer_provider: TracerProvider | None = None
) -> BlobStore:
    """`local`: a directory under `data_dir`; `s3`: the configured bucket.

    `tracer_provider`: S3 calls made inside a trace become its child spans.
    The S3 store opens its client lazily; call `ensure_bucket()` at start when the
    deployment may create its bucket.
    """
    if runtime.blob_backend == "local":
        from registry_common.blobs.local import LocalBlobStore

        return LocalBlobStore(runtime.data_dir / "blobs")
    if runtime.blob_backend == "s3":
        from registry_common.blobs.s3 import S3BlobStore

        return S3BlobStore(runtime, tracer_provider=tracer_provider)
    raise ValueError(f"Unknown blob backend {runtime.blob_backend!r}.")

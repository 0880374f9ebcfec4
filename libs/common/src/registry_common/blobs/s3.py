"""A blob store on S3 (or any S3 API, such as the emulator used by the tests).

One long-lived aiobotocore client per store: entered on `start()` or lazily on first use,
exited by `close()`.

Writes and the sha256 metadata
------------------------------
Every object carries its sha256 as user metadata (`x-amz-meta-sha256`), which must be
given when the object is created, while the digest is only known once every byte went
through. `put` therefore buffers up to one part (8 MiB):

- the source ends within that first part: one `PutObject` with the digest already known;
- otherwise the bytes are streamed as a multipart upload (8 MiB parts, hashed on the fly)
  into a *staging* key `.staging/<uuid>`. Once completed, the staging object is copied
  server-side to the real key with the metadata (`CopyObject` with
  `MetadataDirective=REPLACE`; above 5 GiB, the copy limit, a multipart copy whose
  `CreateMultipartUpload` carries the metadata) and the staging object is deleted.

The real key thus only ever changes by one atomic operation (PutObject, CopyObject or
CompleteMultipartUpload), and always appears *with* its digest: never half-written, never
without metadata. Copying in place after completing on the real key would leave a window in
which the new object has no digest, and a sidecar object could disagree with its object.
The price is a server-side copy (no client bandwidth). Any failure aborts the multipart
upload; the staging key is removed in all cases. Crash leftovers (incomplete uploads,
staging objects) are invisible to `list`, and `ensure_bucket` installs a lifecycle rule
expiring them after a day when it creates the bucket.

Keys whose first segment starts with `.` are reserved (see `keys.py`), so `.staging/`
never clashes with a real key and is hidden from `list` and `delete_prefix`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from contextlib import AsyncExitStack
from datetime import datetime
from typing import Any

import aiohttp
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from opentelemetry.trace import TracerProvider

from registry_common.aws import aws_client
from registry_common.blobs.keys import is_reserved, validate_key, validate_prefix
from registry_common.blobs.port import BlobInfo, BlobNotFound, content_disposition
from registry_common.errors import BadRequest, ComponentUnavailable
from registry_common.settings import RuntimeSettings

COMPONENT = "blob store"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
PART_SIZE = 8 * 1024 * 1024
READ_CHUNK = 1024 * 1024
STAGING_PREFIX = ".staging/"
MAX_SINGLE_COPY = 5 * 1024**3  # CopyObject's limit
COPY_PART_SIZE = 512 * 1024**2
DELETE_BATCH = 1000
HEAD_CONCURRENCY = 16
_THREAD_HASH_MIN = 256 * 1024  # hash big chunks off the event loop

_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
_BUCKET_MISSING = {"NoSuchBucket"}
_DENIED = {
    "AccessDenied",
    "403",
    "Forbidden",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "AllAccessDisabled",
    "AccountProblem",
}
_SERVER = {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "503", "500"}


class _BucketMissing(ComponentUnavailable):
    """The configured bucket does not exist (`ensure_bucket` creates it)."""


def _connection_reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectTimeoutError):
        return "connecting to the storage endpoint timed out"
    if isinstance(exc, EndpointConnectionError):
        return "cannot connect to the storage endpoint"
    if isinstance(exc, ReadTimeoutError | TimeoutError):
        return "the storage endpoint did not answer in time"
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return "no storage credentials are configured"
    return f"storage connection failed ({type(exc).__name__})"


class _Reader:
    """Pulls an async source into a buffer, hashing and counting as it goes."""

    def __init__(self, source: AsyncIterable[bytes]) -> None:
        self._iterator = aiter(source)
        self.buffer = bytearray()
        self.hasher = hashlib.sha256()
        self.size = 0
        self.exhausted = False

    async def fill(self, limit: int) -> None:
        """Read until the buffer holds more than `limit` bytes or the source ends."""
        while len(self.buffer) <= limit:
            try:
                chunk = await anext(self._iterator)
            except StopAsyncIteration:
                self.exhausted = True
                return
            if not chunk:
                continue
            if len(chunk) >= _THREAD_HASH_MIN:
                await asyncio.to_thread(self.hasher.update, chunk)
            else:
                self.hasher.update(chunk)
            self.size += len(chunk)
            self.buffer += chunk

    def take(self, amount: int) -> bytes:
        part = bytes(self.buffer[:amount])
        del self.buffer[:amount]
        return part


async def _slices(data: bytes | bytearray | memoryview) -> AsyncIterator[bytes]:
    view = memoryview(data).cast("B")
    for offset in range(0, len(view), PART_SIZE):
        yield bytes(view[offset : offset + PART_SIZE])


class S3BlobStore:
    """`BlobStore` on an S3 bucket (`runtime.s3_bucket` unless `bucket` is given)."""

    part_size = PART_SIZE
    max_single_copy = MAX_SINGLE_COPY
    copy_part_size = COPY_PART_SIZE

    def __init__(
        self,
        runtime: RuntimeSettings,
        bucket: str | None = None,
        *,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self.runtime = runtime
        self._tracer_provider = tracer_provider
        self.bucket = bucket or runtime.s3_bucket
        self._client_config: dict[str, Any] = {}
        if connect_timeout is not None:
            self._client_config["connect_timeout"] = connect_timeout
        if read_timeout is not None:
            self._client_config["read_timeout"] = read_timeout
        self._stack: AsyncExitStack | None = None
        self._client: Any = None
        self._lock: asyncio.Lock | None = None

    # -- client lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        await self._get_client()
        await self.ensure_bucket()

    async def _get_client(self) -> Any:
        if self._client is not None:
            return self._client
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._client is None:
                stack = AsyncExitStack()
                try:
                    with self._errors():
                        client = await stack.enter_async_context(
                            aws_client(
                                self.runtime,
                                "s3",
                                tracer_provider=self._tracer_provider,
                                **self._client_config,
                            )
                        )
                except BaseException:
                    await stack.aclose()
                    raise
                self._stack, self._client = stack, client
        return self._client

    async def close(self) -> None:
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            with contextlib.suppress(Exception):
                await stack.aclose()

    # -- error mapping ---------------------------------------------------------------------

    def _map_client_error(self, exc: ClientError, key: str | None) -> Exception | None:
        """The registry error for a botocore ClientError; None leaves it as it is (a bug)."""
        error: dict[str, Any] = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in _BUCKET_MISSING or (key is None and code in _NOT_FOUND):
            return _BucketMissing(COMPONENT, f"the bucket {self.bucket!r} does not exist")
        if key is not None and (code in _NOT_FOUND or status == 404):
            return BlobNotFound(key)
        if code in _DENIED or status == 403:
            reason = f"access to the bucket {self.bucket!r} is denied"
            return ComponentUnavailable(COMPONENT, reason)
        if code in _SERVER or status >= 500:
            reason = f"the storage service failed ({code or status})"
            return ComponentUnavailable(COMPONENT, reason)
        return None

    @contextlib.contextmanager
    def _errors(self, key: str | None = None) -> Iterator[None]:
        """Translate botocore and transport failures into BlobNotFound/ComponentUnavailable."""
        try:
            yield
        except ClientError as exc:
            mapped = self._map_client_error(exc, key)
            if mapped is None:
                raise
            raise mapped from exc
        except (TimeoutError, BotoCoreError, aiohttp.ClientError, OSError) as exc:
            raise ComponentUnavailable(COMPONENT, _connection_reason(exc)) from exc

    async def _call(self, operation: str, key: str | None = None, **params: Any) -> Any:
        client = await self._get_client()
        with self._errors(key):
            return await getattr(client, operation)(Bucket=self.bucket, **params)

    # -- bucket ----------------------------------------------------------------------------

    async def ensure_bucket(self) -> None:
        """Create the bucket when missing (idempotent)."""
        try:
            await self._call("head_bucket")
            return
        except _BucketMissing:
            pass
        params: dict[str, Any] = {}
        if self.runtime.aws_region != "us-east-1":  # us-east-1 takes no LocationConstraint
            params["CreateBucketConfiguration"] = {"LocationConstraint": self.runtime.aws_region}
        try:
            await self._call("create_bucket", **params)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code == "BucketAlreadyOwnedByYou":
                return
            if code == "BucketAlreadyExists":
                raise ComponentUnavailable(
                    COMPONENT, f"the bucket name {self.bucket!r} is taken by another account"
                ) from exc
            raise
        with contextlib.suppress(ClientError, ComponentUnavailable):
            await self._call(
                "put_bucket_lifecycle_configuration",
                LifecycleConfiguration={
                    "Rules": [
                        {
                            "ID": "registry-abort-incomplete-uploads",
                            "Status": "Enabled",
                            "Filter": {"Prefix": ""},
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                        },
                        {
                            "ID": "registry-expire-staging",
                            "Status": "Enabled",
                            "Filter": {"Prefix": STAGING_PREFIX},
                            "Expiration": {"Days": 1},
                        },
                    ]
                },
            )

    async def check(self) -> None:
        await self._call("head_bucket")

    # -- writing ---------------------------------------------------------------------------

    async def put(
        self,
        key: str,
        data: bytes | AsyncIterable[bytes],
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
    ) -> BlobInfo:
        validate_key(key)
        if isinstance(data, bytes | bytearray | memoryview) and len(data) <= self.part_size:
            body = bytes(data)
            digest = hashlib.sha256(body).hexdigest()
            await self._put_single(key, body, digest, content_type)
            return BlobInfo(key=key, size=len(body), sha256=digest, content_type=content_type)
        source = _slices(data) if isinstance(data, bytes | bytearray | memoryview) else data
        reader = _Reader(source)
        await reader.fill(self.part_size)
        if reader.exhausted:
            digest = reader.hasher.hexdigest()
            await self._put_single(key, reader.take(len(reader.buffer)), digest, content_type)
        else:
            digest = await self._put_multipart(key, reader, content_type)
        return BlobInfo(key=key, size=reader.size, sha256=digest, content_type=content_type)

    async def _put_single(self, key: str, body: bytes, digest: str, content_type: str) -> None:
        await self._call(
            "put_object",
            key,
            Key=key,
            Body=body,
            ContentType=content_type,
            Metadata={"sha256": digest},
        )

    async def _put_multipart(self, key: str, reader: _Reader, content_type: str) -> str:
        staging = f"{STAGING_PREFIX}{uuid.uuid4().hex}"
        created = await self._call(
            "create_multipart_upload", key, Key=staging, ContentType=content_type
        )
        upload_id = str(created["UploadId"])
        try:
            parts: list[dict[str, Any]] = []
            while True:
                while len(reader.buffer) > self.part_size:
                    part = reader.take(self.part_size)
                    parts.append(await self._upload_part(staging, upload_id, len(parts) + 1, part))
                if reader.exhausted:
                    break
                await reader.fill(self.part_size)
            if reader.buffer:
                part = reader.take(len(reader.buffer))
                parts.append(await self._upload_part(staging, upload_id, len(parts) + 1, part))
            await self._call(
                "complete_multipart_upload",
                key,
                Key=staging,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            await self._abort(staging, upload_id)
            raise
        digest = reader.hasher.hexdigest()
        try:
            await self._publish(staging, key, reader.size, digest, content_type)
        finally:
            with contextlib.suppress(Exception):
                await self._call("delete_object", Key=staging)
        return digest

    async def _upload_part(
        self, staging: str, upload_id: str, number: int, body: bytes
    ) -> dict[str, Any]:
        response = await self._call(
            "upload_part", Key=staging, UploadId=upload_id, PartNumber=number, Body=body
        )
        part: dict[str, Any] = {"PartNumber": number, "ETag": response["ETag"]}
        # Checksums botocore added to the part must be repeated when completing.
        part.update({k: v for k, v in response.items() if k.startswith("Checksum") and v})
        part.pop("ChecksumType", None)
        return part

    async def _abort(self, key: str, upload_id: str) -> None:
        with contextlib.suppress(Exception):
            await self._call("abort_multipart_upload", Key=key, UploadId=upload_id)

    async def _publish(
        self, staging: str, key: str, size: int, digest: str, content_type: str
    ) -> None:
        """Copy the staging object to `key`, with its digest, in one atomic step."""
        source = {"Bucket": self.bucket, "Key": staging}
        metadata = {"sha256": digest}
        if size <= self.max_single_copy:
            await self._call(
                "copy_object",
                key,
                Key=key,
                CopySource=source,
                MetadataDirective="REPLACE",
                Metadata=metadata,
                ContentType=content_type,
            )
            return
        created = await self._call(
            "create_multipart_upload", key, Key=key, ContentType=content_type, Metadata=metadata
        )
        upload_id = str(created["UploadId"])
        try:
            parts: list[dict[str, Any]] = []
            for number, first in enumerate(range(0, size, self.copy_part_size), start=1):
                last = min(first + self.copy_part_size, size) - 1
                response = await self._call(
                    "upload_part_copy",
                    key,
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=number,
                    CopySource=source,
                    CopySourceRange=f"bytes={first}-{last}",
                )
                parts.append({"PartNumber": number, "ETag": response["CopyPartResult"]["ETag"]})
            await self._call(
                "complete_multipart_upload",
                key,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            await self._abort(key, upload_id)
            raise

    # -- reading ---------------------------------------------------------------------------

    async def _head(self, key: str) -> dict[str, Any]:
        response: dict[str, Any] = await self._call("head_object", key, Key=key)
        return response

    async def stat(self, key: str) -> BlobInfo:
        validate_key(key)
        head = await self._head(key)
        size = int(head["ContentLength"])
        content_type = str(head.get("ContentType") or DEFAULT_CONTENT_TYPE)
        digest = head.get("Metadata", {}).get("sha256")
        if not isinstance(digest, str) or not digest:
            # Written by something other than this store: hash it once, by streaming.
            hasher = hashlib.sha256()
            async for chunk in self._stream(key, 0, None):
                hasher.update(chunk)
            digest = hasher.hexdigest()
        modified = head.get("LastModified")
        return BlobInfo(
            key=key,
            size=size,
            sha256=digest,
            content_type=content_type,
            modified_at=modified if isinstance(modified, datetime) else None,
        )

    def open(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        validate_key(key)
        if start < 0 or (end is not None and end < 0):
            raise BadRequest("A byte range cannot start or end before the first byte.")
        return self._stream(key, start, end)

    async def _stream(self, key: str, start: int, end: int | None) -> AsyncIterator[bytes]:
        if end is not None and end <= start:
            await self._head(key)  # an empty range still requires the object to exist
            return
        params: dict[str, Any] = {"Key": key}
        if start > 0 or end is not None:
            params["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        try:
            response = await self._call("get_object", key, **params)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidRange":
                return  # the object exists but the range starts at or past its end
            raise
        body = response["Body"]
        try:
            while True:
                with self._errors(key):
                    chunk = await body.read(READ_CHUNK)
                if not chunk:
                    break
                yield chunk
        finally:
            body.close()

    async def read(self, key: str) -> bytes:
        buffer = bytearray()
        async for chunk in self.open(key):
            buffer += chunk
        return bytes(buffer)

    async def exists(self, key: str) -> bool:
        validate_key(key)
        try:
            await self._head(key)
        except BlobNotFound:
            return False
        return True

    async def _keys(self, prefix: str) -> AsyncIterator[list[str]]:
        """Pages of keys under `prefix`, reserved ones left out.

        Paging uses StartAfter (the last key seen) rather than a continuation token, so
        deleting a page before asking for the next one is safe.
        """
        validate_prefix(prefix)
        start_after = ""
        while True:
            params: dict[str, Any] = {"Prefix": prefix, "MaxKeys": DELETE_BATCH}
            if start_after:
                params["StartAfter"] = start_after
            page = await self._call("list_objects_v2", **params)
            keys = [str(item["Key"]) for item in page.get("Contents", [])]
            if keys:
                start_after = keys[-1]
            visible = [k for k in keys if not is_reserved(k)]
            if visible:
                yield visible
            if not page.get("IsTruncated") or not keys:
                return

    async def list(self, prefix: str = "") -> list[BlobInfo]:
        """Every object under `prefix`, sorted; one HEAD per object for its digest."""
        keys = [key async for page in self._keys(prefix) for key in page]
        semaphore = asyncio.Semaphore(HEAD_CONCURRENCY)

        async def info(key: str) -> BlobInfo | None:
            async with semaphore:
                try:
                    return await self.stat(key)
                except BlobNotFound:
                    return None  # deleted while listing

        infos = await asyncio.gather(*(info(key) for key in keys))
        return sorted((i for i in infos if i is not None), key=lambda i: i.key)

    async def delete(self, key: str) -> None:
        validate_key(key)
        await self._call("delete_object", key, Key=key)

    async def delete_prefix(self, prefix: str) -> int:
        removed = 0
        async for keys in self._keys(prefix):
            response = await self._call(
                "delete_objects",
                Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True},
            )
            errors = response.get("Errors", [])
            removed += len(keys) - len(errors)
            if errors:
                first = errors[0]
                raise ComponentUnavailable(
                    COMPONENT,
                    f"{len(errors)} objects could not be deleted "
                    f"({first.get('Code')} on {first.get('Key')!r})",
                )
        return removed

    async def presigned_url(
        self, key: str, *, expires_in: int = 300, filename: str | None = None
    ) -> str | None:
        validate_key(key)
        name = filename or key.rsplit("/", 1)[-1]
        client = await self._get_client()
        with self._errors(key):
            url = await client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    "ResponseContentDisposition": content_disposition(name),
                },
                ExpiresIn=expires_in,
            )
        return str(url)

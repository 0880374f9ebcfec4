"""The catalog on DynamoDB: the same contract as `catalog.Catalog`, on one table.

Selected by `INGEST_METADATA_STORE=dynamodb` (the SQL database stays the default). The
catalog's rows live in DynamoDB; the audit trail, popularity counters and monitors stay in
the service's SQL database (they are written together in one transaction there), so this
adapter creates and removes an artifact's popularity row in step with its item.

Table layout (single table, every key a string):

- artifact: `pk = "A#<id>"`, `sk = "A"`, every column of `ArtifactRow` as an attribute;
- a replaced revision: `pk = "A#<id>"`, `sk = "H#<revision, 10 digits>"` (one query lists
  an artifact's history, in order, and one transaction replaces a revision);
- the catalog order counter: `pk = "COUNTER"`, `sk = "seq"` (an atomic `ADD`).

Two sparse global secondary indexes (only artifact items carry their keys) replace the SQL
indexes: `status-seq` (`status`, `seq`) serves listings and the regex scan in catalog order
with keyset pagination, `name-seq` (`name`, `seq`) serves look-ups by name.

What DynamoDB cannot do, and what this adapter does instead (docs/performance.md measures
it): no regex, no full-text index, so `texts` reads every visible artifact's README through
the `status-seq` index and the service matches in Python, exactly as it does on SQL (the
cost is the items read, 1 MB per page); no `OR` across keys, so a listing with several
names is one index query per name, merged by `seq`; a listing by type alone reads the
`status-seq` index and filters. Index reads are eventually consistent: a listing may miss
an artifact registered a few milliseconds before (a `get` by id reads strongly). Every
visible artifact shares the partition `status = "ready"` of the index, which bounds that
index at one partition's write rate (about 1,000 writes/s): ample for a registry. An item
holds at most 400 KB, so the README is stored zlib-compressed, and one that does not fit
even so is cut (by whole characters) to fit; the details say so.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import zlib
from collections.abc import AsyncIterator, Collection, Iterator, Sequence
from contextlib import AsyncExitStack
from datetime import datetime
from decimal import Decimal
from typing import Any

import aiohttp
from botocore.exceptions import BotoCoreError, ClientError
from opentelemetry.trace import TracerProvider
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry_common.aws import aws_client
from registry_common.db import database_errors
from registry_common.errors import ComponentUnavailable
from registry_common.settings import RuntimeSettings
from registry_ingest.catalog import PENDING, READY, DuplicateId, NameQuery
from registry_ingest.tables import ArtifactHistoryRow, ArtifactRow, PopularityRow

COMPONENT = "metadata store (DynamoDB)"
STATUS_INDEX = "status-seq"
NAME_INDEX = "name-seq"
_ARTIFACT_SK = "A"
_COUNTER_KEY = {"pk": {"S": "COUNTER"}, "sk": {"S": "seq"}}
# The item limit is 400 KB; the other attributes take a few KB at most (details, URLs).
MAX_README_BYTES = 320_000
_BATCH_GET = 100  # BatchGetItem's ceiling
_BATCH_WRITE = 25  # BatchWriteItem's ceiling


def _key(artifact_id: str, sk: str = _ARTIFACT_SK) -> dict[str, Any]:
    return {"pk": {"S": f"A#{artifact_id}"}, "sk": {"S": sk}}


def _history_sk(revision: int) -> str:
    return f"H#{revision:010d}"


class DynamoCatalog:
    """`Catalog`'s contract on a DynamoDB table (see the module docstring for the layout)."""

    def __init__(
        self,
        runtime: RuntimeSettings,
        table: str,
        sessions: async_sessionmaker[AsyncSession],
        *,
        provision: bool = True,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self.table = table
        self._runtime = runtime
        self._sessions = sessions  # the popularity rows, kept in the SQL database
        self._provision = provision
        self._tracer_provider = tracer_provider
        self._client: Any = None
        self._stack: AsyncExitStack | None = None
        self._lock: asyncio.Lock | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        await self._get_client()
        if self._provision:
            await self.ensure_table()

    async def close(self) -> None:
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            with contextlib.suppress(Exception):
                await stack.aclose()

    async def check(self) -> None:
        await self._call("describe_table", TableName=self.table)

    async def ensure_table(self) -> None:
        """Create the table and its indexes when missing (idempotent); a deployment stack
        that owns the table sets `INGEST_DYNAMODB_PROVISION=false`."""
        client = await self._get_client()
        with self._errors():
            try:
                await client.describe_table(TableName=self.table)
                return
            except ClientError as exc:
                if _code(exc) != "ResourceNotFoundException":
                    raise
            try:
                await client.create_table(**table_definition(self.table))
            except ClientError as exc:
                if _code(exc) != "ResourceInUseException":  # created concurrently
                    raise
            waiter = client.get_waiter("table_exists")
            await waiter.wait(TableName=self.table, WaiterConfig={"Delay": 1, "MaxAttempts": 60})

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
                                self._runtime, "dynamodb", tracer_provider=self._tracer_provider
                            )
                        )
                except BaseException:
                    await stack.aclose()
                    raise
                self._stack, self._client = stack, client
        return self._client

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Outages and refusals become a 503 that names DynamoDB; bugs stay bugs."""
        try:
            yield
        except ClientError as exc:
            code = _code(exc)
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
            if code == "ResourceNotFoundException":
                reason = f"the table {self.table!r} does not exist"
            elif code in {"AccessDeniedException", "UnrecognizedClientException"}:
                reason = f"access to the table {self.table!r} is denied"
            elif code in {
                "ProvisionedThroughputExceededException",
                "ThrottlingException",
                "RequestLimitExceeded",
            }:
                reason = "requests are being throttled"
            elif status >= 500 or code in {"InternalServerError", "ServiceUnavailable"}:
                reason = f"the DynamoDB service failed ({code or status})"
            else:
                raise
            raise ComponentUnavailable(COMPONENT, reason) from exc
        except (TimeoutError, BotoCoreError, aiohttp.ClientError, OSError) as exc:
            raise ComponentUnavailable(COMPONENT, type(exc).__name__) from exc

    async def _call(self, operation: str, **params: Any) -> Any:
        client = await self._get_client()
        with self._errors():
            return await getattr(client, operation)(**params)

    # -- writes ----------------------------------------------------------------------------

    async def insert(self, row: ArtifactRow) -> None:
        """Store a new artifact under the next catalog position; DuplicateId if the id is
        taken. The popularity row is written after the item and the item removed again if
        that write fails, so neither outlives the other."""
        counter = await self._call(
            "update_item",
            TableName=self.table,
            Key=_COUNTER_KEY,
            UpdateExpression="ADD #v :one",
            ExpressionAttributeNames={"#v": "value"},
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        row.seq = int(counter["Attributes"]["value"]["N"])
        client = await self._get_client()
        with self._errors():
            try:
                await client.put_item(
                    TableName=self.table,
                    Item=to_item(row),
                    ConditionExpression="attribute_not_exists(pk)",
                )
            except ClientError as exc:
                if _code(exc) == "ConditionalCheckFailedException":
                    raise DuplicateId(row.id) from exc
                raise
        try:
            async with database_errors(), self._sessions.begin() as session:
                session.add(PopularityRow(artifact_id=row.id, downloads=0, search_appearances=0))
        except BaseException as exc:
            with contextlib.suppress(Exception):
                await self._call("delete_item", TableName=self.table, Key=_key(row.id))
            if isinstance(exc, IntegrityError):
                raise DuplicateId(row.id) from exc
            raise

    async def decide(
        self,
        artifact_id: str,
        *,
        status: str,
        vetted: bool | None,
        net_score: float | None,
        details: dict[str, Any],
        now: datetime,
    ) -> bool:
        """Record the rating's outcome for a pending artifact; False if it was not pending."""
        values = {
            "status": status,
            "vetted": vetted,
            "net_score": net_score,
            "details": details,
            "updated_at": now,
        }
        return await self._update(
            artifact_id, values, "#c_status = :c_status", {":c_status": {"S": PENDING}}
        )

    async def set_rating_summary(
        self,
        artifact_id: str,
        *,
        vetted: bool | None,
        net_score: float | None,
        details: dict[str, Any],
        now: datetime,
    ) -> None:
        values = {"vetted": vetted, "net_score": net_score, "details": details, "updated_at": now}
        await self._update(artifact_id, values, None, {})

    async def _update(
        self,
        artifact_id: str,
        values: dict[str, Any],
        condition: str | None,
        condition_values: dict[str, Any],
    ) -> bool:
        """Set `values` on an existing artifact when `condition` holds; False otherwise."""
        update = _update_expression(values)
        names = {**update["names"]}
        attr_values = {**update["values"], **condition_values}
        if condition is not None:
            names["#c_status"] = "status"
        full_condition = "attribute_exists(pk)" + (f" AND {condition}" if condition else "")
        params: dict[str, Any] = {
            "TableName": self.table,
            "Key": _key(artifact_id),
            "UpdateExpression": update["expression"],
            "ConditionExpression": full_condition,
            "ExpressionAttributeNames": names,
        }
        if attr_values:
            params["ExpressionAttributeValues"] = attr_values
        client = await self._get_client()
        with self._errors():
            try:
                await client.update_item(**params)
            except ClientError as exc:
                if _code(exc) == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    async def replace_revision(
        self, current: ArtifactRow, values: dict[str, Any], *, by: str | None, now: datetime
    ) -> bool:
        """Move `current` into the history and store `values` as its next revision, in one
        transaction conditional on the revision read: of two concurrent updates one wins."""
        update = _update_expression({**values, "revision": current.revision + 1, "updated_at": now})
        history = ArtifactHistoryRow(
            artifact_id=current.id,
            revision=current.revision,
            source_url=current.source_url,
            details=current.details,
            replaced_at=now,
            replaced_by=by,
        )
        client = await self._get_client()
        with self._errors():
            try:
                await client.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": self.table,
                                "Key": _key(current.id),
                                "UpdateExpression": update["expression"],
                                "ConditionExpression": "#c_rev = :c_rev",
                                "ExpressionAttributeNames": {
                                    **update["names"],
                                    "#c_rev": "revision",
                                },
                                "ExpressionAttributeValues": {
                                    **update["values"],
                                    ":c_rev": {"N": str(current.revision)},
                                },
                            }
                        },
                        {"Put": {"TableName": self.table, "Item": history_item(history)}},
                    ]
                )
            except ClientError as exc:
                if _code(exc) in {"TransactionCanceledException", "TransactionConflictException"}:
                    return False
                raise
        return True

    async def remove(self, artifact_id: str) -> None:
        keys = [_key(artifact_id)]
        async for item in self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :h)",
            ExpressionAttributeValues={":pk": {"S": f"A#{artifact_id}"}, ":h": {"S": "H#"}},
            ProjectionExpression="pk, sk",
        ):
            keys.append({"pk": item["pk"], "sk": item["sk"]})
        await self._delete_keys(keys)
        async with database_errors(), self._sessions.begin() as session:
            await session.execute(
                delete(PopularityRow).where(PopularityRow.artifact_id == artifact_id)
            )

    async def clear(self) -> None:
        """Delete every artifact and history item (the order counter stays: positions are
        never reused, as on SQL)."""
        keys: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        while True:
            params: dict[str, Any] = {
                "TableName": self.table,
                "ProjectionExpression": "pk, sk",
                "FilterExpression": "begins_with(pk, :a)",
                "ExpressionAttributeValues": {":a": {"S": "A#"}},
            }
            if start:
                params["ExclusiveStartKey"] = start
            page = await self._call("scan", **params)
            keys.extend({"pk": i["pk"], "sk": i["sk"]} for i in page.get("Items", []))
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        await self._delete_keys(keys)
        async with database_errors(), self._sessions.begin() as session:
            await session.execute(delete(PopularityRow))

    async def _delete_keys(self, keys: list[dict[str, Any]]) -> None:
        for begin in range(0, len(keys), _BATCH_WRITE):
            requests = [{"DeleteRequest": {"Key": k}} for k in keys[begin : begin + _BATCH_WRITE]]
            pending: dict[str, Any] = {self.table: requests}
            for attempt in range(8):
                answer = await self._call("batch_write_item", RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}
                if not pending:
                    break
                await asyncio.sleep(0.05 * 2**attempt)  # throttled: back off and retry
            if pending:
                raise ComponentUnavailable(COMPONENT, "deletes were throttled")

    # -- reads -----------------------------------------------------------------------------

    async def get(self, artifact_id: str, *, visible_only: bool = True) -> ArtifactRow | None:
        answer = await self._call(
            "get_item", TableName=self.table, Key=_key(artifact_id), ConsistentRead=True
        )
        item = answer.get("Item")
        if item is None or (visible_only and item["status"]["S"] != READY):
            return None
        return from_item(item)

    async def revisions_of(self, artifact_ids: Collection[str]) -> dict[str, int]:
        """The current revision of each of `artifact_ids` that has an item (any status): what
        the orphan-blob sweeper keeps. Strongly consistent reads, one per id (the sweeper
        runs every few minutes over what it found unreferenced-looking, not per request)."""
        found: dict[str, int] = {}
        for artifact_id in sorted(artifact_ids):
            row = await self.get(artifact_id, visible_only=False)
            if row is not None:
                found[artifact_id] = row.revision
        return found

    async def get_many(self, artifact_ids: list[str]) -> list[ArtifactRow]:
        """Visible artifacts among `artifact_ids`, in catalog order."""
        unique = list(dict.fromkeys(artifact_ids))
        rows: list[ArtifactRow] = []
        for begin in range(0, len(unique), _BATCH_GET):
            pending: dict[str, Any] = {
                self.table: {"Keys": [_key(i) for i in unique[begin : begin + _BATCH_GET]]}
            }
            for attempt in range(8):
                answer = await self._call("batch_get_item", RequestItems=pending)
                rows.extend(
                    from_item(item)
                    for item in answer.get("Responses", {}).get(self.table, [])
                    if item["status"]["S"] == READY
                )
                pending = answer.get("UnprocessedKeys") or {}
                if not pending:
                    break
                await asyncio.sleep(0.05 * 2**attempt)
            if pending:
                raise ComponentUnavailable(COMPONENT, "reads were throttled")
        return sorted(rows, key=lambda row: row.seq)

    async def status_of(self, artifact_id: str) -> str | None:
        answer = await self._call(
            "get_item",
            TableName=self.table,
            Key=_key(artifact_id),
            ConsistentRead=True,
            ProjectionExpression="#s",
            ExpressionAttributeNames={"#s": "status"},
        )
        item = answer.get("Item")
        return None if item is None else str(item["status"]["S"])

    async def page(
        self, queries: Sequence[NameQuery], *, after: int, limit: int
    ) -> list[ArtifactRow]:
        """Visible artifacts matching any query, in catalog order, after position `after`.

        Named queries read the `name-seq` index (one query per distinct name, merged by
        `seq`); a query without a name reads the `status-seq` index and filters by type."""
        if limit <= 0:
            return []
        names = {query.name for query in queries}
        if None in names:
            found = [row async for row in self._visible_after(after, limit, queries)]
        else:
            merged: dict[str, ArtifactRow] = {}
            for name in sorted(n for n in names if n is not None):
                async for row in self._named_after(name, after, limit, queries):
                    merged[row.id] = row
            found = sorted(merged.values(), key=lambda row: row.seq)
        return found[:limit]

    async def by_name(self, name: str, *, limit: int) -> list[ArtifactRow]:
        return [row async for row in self._named_after(name, 0, limit, [NameQuery(name, None)])]

    async def texts(
        self, *, after: int, limit: int, prefilter: str | None = None
    ) -> list[tuple[int, str, str, str, str]]:
        """(seq, id, name, type, readme) of visible artifacts, for regex scans in batches
        (`prefilter` is ignored: there is no index to narrow them with).

        DynamoDB has no regex: the caller matches every README this returns (a full read of
        the visible catalog per search; docs/performance.md measures it)."""
        found: list[tuple[int, str, str, str, str]] = []
        async for item in self._query(
            IndexName=STATUS_INDEX,
            KeyConditionExpression="#s = :ready AND seq > :after",
            ExpressionAttributeNames={"#s": "status", "#n": "name", "#t": "type"},
            ExpressionAttributeValues={":ready": {"S": READY}, ":after": {"N": str(after)}},
            ProjectionExpression="seq, id, #n, #t, readme",
            Limit=limit,
        ):
            found.append(
                (
                    int(item["seq"]["N"]),
                    item["id"]["S"],
                    item["name"]["S"],
                    item["type"]["S"],
                    _readme(item) or "",
                )
            )
            if len(found) >= limit:
                break
        return found

    async def history(self, artifact_id: str) -> list[ArtifactHistoryRow]:
        return [
            from_history_item(item)
            async for item in self._query(
                KeyConditionExpression="pk = :pk AND begins_with(sk, :h)",
                ExpressionAttributeValues={":pk": {"S": f"A#{artifact_id}"}, ":h": {"S": "H#"}},
                ConsistentRead=True,
            )
        ]

    async def summaries(self) -> list[ArtifactRow]:
        """Every visible artifact (for the popularity audit), in catalog order."""
        return [row async for row in self._visible_after(0, None, [NameQuery(None, None)])]

    async def _visible_after(
        self, after: int, limit: int | None, queries: Sequence[NameQuery]
    ) -> AsyncIterator[ArtifactRow]:
        count = 0
        async for item in self._query(
            IndexName=STATUS_INDEX,
            KeyConditionExpression="#s = :ready AND seq > :after",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":ready": {"S": READY}, ":after": {"N": str(after)}},
            **({"Limit": limit} if limit else {}),
        ):
            row = from_item(item)
            if _matches_any(row, queries):
                yield row
                count += 1
                if limit is not None and count >= limit:
                    return

    async def _named_after(
        self, name: str, after: int, limit: int, queries: Sequence[NameQuery]
    ) -> AsyncIterator[ArtifactRow]:
        count = 0
        async for item in self._query(
            IndexName=NAME_INDEX,
            KeyConditionExpression="#n = :name AND seq > :after",
            FilterExpression="#s = :ready",
            ExpressionAttributeNames={"#n": "name", "#s": "status"},
            ExpressionAttributeValues={
                ":name": {"S": name},
                ":after": {"N": str(after)},
                ":ready": {"S": READY},
            },
            Limit=limit,
        ):
            row = from_item(item)
            if _matches_any(row, queries):
                yield row
                count += 1
                if count >= limit:
                    return

    async def _query(self, **params: Any) -> AsyncIterator[dict[str, Any]]:
        """Every item a query returns, page after page (DynamoDB pages at 1 MB or `Limit`)."""
        start: dict[str, Any] | None = None
        while True:
            call = {"TableName": self.table, **params}
            if start:
                call["ExclusiveStartKey"] = start
            answer = await self._call("query", **call)
            for item in answer.get("Items", []):
                yield item
            start = answer.get("LastEvaluatedKey")
            if not start:
                return


def table_definition(table: str) -> dict[str, Any]:
    """The `CreateTable` request (the CDK stack declares the same table)."""
    projection = {"ProjectionType": "ALL"}
    return {
        "TableName": table,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "status", "AttributeType": "S"},
            {"AttributeName": "name", "AttributeType": "S"},
            {"AttributeName": "seq", "AttributeType": "N"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": STATUS_INDEX,
                "KeySchema": [
                    {"AttributeName": "status", "KeyType": "HASH"},
                    {"AttributeName": "seq", "KeyType": "RANGE"},
                ],
                "Projection": projection,
            },
            {
                "IndexName": NAME_INDEX,
                "KeySchema": [
                    {"AttributeName": "name", "KeyType": "HASH"},
                    {"AttributeName": "seq", "KeyType": "RANGE"},
                ],
                "Projection": projection,
            },
        ],
    }


# -- item <-> row ------------------------------------------------------------------------

_JSON_FIELDS = ("versions", "details", "weights_scan")
_INT_FIELDS = ("revision", "content_bytes", "bundle_bytes")
_TEXT_FIELDS = ("id", "name", "type", "status", "source_url", "source_kind", "version", "uploader")


def _value(field: str, value: Any) -> dict[str, Any]:
    """One attribute value in DynamoDB's typed form."""
    if field in _JSON_FIELDS:
        return {"S": json.dumps(value, separators=(",", ":"))}
    if field in ("created_at", "updated_at", "replaced_at"):
        return {"S": value.isoformat()}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        # Decimal(repr(x)) keeps a float's shortest round-trip digits.
        return {"N": str(Decimal(repr(value)))}
    return {"S": str(value)}


def to_item(row: ArtifactRow) -> dict[str, Any]:
    item: dict[str, Any] = {**_key(row.id), "seq": {"N": str(row.seq)}}
    for field in (*_TEXT_FIELDS, *_INT_FIELDS, *_JSON_FIELDS, "vetted", "net_score"):
        value = getattr(row, field)
        if field == "revision" and value is None:
            value = 1
        if field in ("content_bytes", "bundle_bytes") and value is None:
            value = 0
        if field == "versions" and value is None:
            value = []
        if field == "details" and value is None:
            value = {}
        if value is not None:  # absent attribute = NULL column
            item[field] = _value(field, value)
    item["created_at"] = _value("created_at", row.created_at)
    item["updated_at"] = _value("updated_at", row.updated_at)
    if row.readme is not None:
        item["readme"] = {"B": _pack_readme(row.readme)}
    return item


def _pack_readme(readme: str) -> bytes:
    """The README zlib-compressed, cut by whole characters until it fits the item."""
    packed = zlib.compress(readme.encode(), 6)
    while len(packed) > MAX_README_BYTES:
        readme = readme[: len(readme) * 3 // 4]
        packed = zlib.compress(readme.encode(), 6)
    return packed


def _readme(item: dict[str, Any]) -> str | None:
    packed = item.get("readme")
    return None if packed is None else zlib.decompress(packed["B"]).decode()


def from_item(item: dict[str, Any]) -> ArtifactRow:
    def text(field: str) -> str | None:
        value = item.get(field)
        return None if value is None else str(value["S"])

    def number(field: str) -> Decimal | None:
        value = item.get(field)
        return None if value is None else Decimal(value["N"])

    def loaded(field: str, default: Any) -> Any:
        value = item.get(field)
        return default if value is None else json.loads(value["S"])

    net_score = number("net_score")
    vetted = item.get("vetted")
    return ArtifactRow(
        seq=int(item["seq"]["N"]),
        id=text("id"),
        name=text("name"),
        type=text("type"),
        status=text("status"),
        revision=int(number("revision") or 1),
        source_url=text("source_url"),
        source_kind=text("source_kind"),
        version=text("version"),
        versions=loaded("versions", []),
        readme=_readme(item),
        details=loaded("details", {}),
        content_bytes=int(number("content_bytes") or 0),
        bundle_bytes=int(number("bundle_bytes") or 0),
        uploader=text("uploader"),
        vetted=None if vetted is None else bool(vetted["BOOL"]),
        weights_scan=loaded("weights_scan", None),
        net_score=None if net_score is None else float(net_score),
        created_at=datetime.fromisoformat(item["created_at"]["S"]),
        updated_at=datetime.fromisoformat(item["updated_at"]["S"]),
    )


def history_item(row: ArtifactHistoryRow) -> dict[str, Any]:
    item: dict[str, Any] = {
        **_key(row.artifact_id, _history_sk(row.revision)),
        "artifact_id": {"S": row.artifact_id},
        "revision": {"N": str(row.revision)},
        "source_url": {"S": row.source_url},
        "details": _value("details", row.details or {}),
        "replaced_at": _value("replaced_at", row.replaced_at),
    }
    if row.replaced_by is not None:
        item["replaced_by"] = {"S": row.replaced_by}
    return item


def from_history_item(item: dict[str, Any]) -> ArtifactHistoryRow:
    return ArtifactHistoryRow(
        seq=int(item["revision"]["N"]),
        artifact_id=item["artifact_id"]["S"],
        revision=int(item["revision"]["N"]),
        source_url=item["source_url"]["S"],
        details=json.loads(item["details"]["S"]),
        replaced_at=datetime.fromisoformat(item["replaced_at"]["S"]),
        replaced_by=item["replaced_by"]["S"] if "replaced_by" in item else None,
    )


def _update_expression(values: dict[str, Any]) -> dict[str, Any]:
    """`SET`/`REMOVE` of `values` (None removes the attribute: a NULL column)."""
    sets: list[str] = []
    removes: list[str] = []
    names: dict[str, str] = {}
    attr_values: dict[str, Any] = {}
    for index, (field, value) in enumerate(values.items()):
        names[f"#f{index}"] = field
        if value is None:
            removes.append(f"#f{index}")
        elif field == "readme":
            attr_values[f":v{index}"] = {"B": _pack_readme(value)}
            sets.append(f"#f{index} = :v{index}")
        else:
            attr_values[f":v{index}"] = _value(field, value)
            sets.append(f"#f{index} = :v{index}")
    expression = ""
    if sets:
        expression += "SET " + ", ".join(sets)
    if removes:
        expression += (" " if expression else "") + "REMOVE " + ", ".join(removes)
    return {"expression": expression, "names": names, "values": attr_values}


def _matches_any(row: ArtifactRow, queries: Sequence[NameQuery]) -> bool:
    return any(
        (query.name is None or row.name == query.name)
        and (not query.types or row.type in query.types)
        for query in queries
    )


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))

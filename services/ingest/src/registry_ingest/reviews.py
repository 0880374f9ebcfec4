"""Users' star ratings and short reviews (issue 18.4): one per user per artifact, editable
and deletable by its author, removable by admins. Every change is a RATE entry of the
artifact's audit trail, written in the review's own transaction."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry_common.db import database_errors
from registry_common.errors import AuthenticationFailed, BadRequest, NotFound, PermissionDenied
from registry_common.uow import Sessions
from registry_ingest.audit import Actor, audit_entry
from registry_ingest.tables import ArtifactRow, ReviewRow

MIN_STARS = 1
MAX_STARS = 5
MAX_REVIEW_CHARS = 2000
MAX_PAGE = 100


@dataclass(frozen=True)
class ReviewStats:
    count: int
    average: float | None  # None: nobody rated it yet


def check_review(stars: int, text: str) -> str:
    """The review's text as stored (trimmed), or a 400 that says what to change."""
    if isinstance(stars, bool) or not isinstance(stars, int) or not MIN_STARS <= stars <= MAX_STARS:
        raise BadRequest(f"stars must be a whole number from {MIN_STARS} to {MAX_STARS}.")
    cleaned = text.strip()
    if len(cleaned) > MAX_REVIEW_CHARS:
        raise BadRequest(
            f"A review holds at most {MAX_REVIEW_CHARS} characters; this one has "
            f"{len(cleaned)}. Shorten it."
        )
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in cleaned):
        raise BadRequest("A review may not contain control characters (other than newlines).")
    return cleaned


def review_entry(row: ReviewRow) -> dict[str, Any]:
    return {
        "user": row.user_name,
        "stars": row.stars,
        "text": row.text,
        "created_at": _utc_text(row.created_at),
        "updated_at": _utc_text(row.updated_at),
    }


class ReviewStore:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def put(self, artifact: ArtifactRow, user: Actor, stars: int, text: str) -> ReviewRow:
        now = datetime.now(UTC)
        async with database_errors(), self._sessions.begin() as session:
            row = await session.get(ReviewRow, (artifact.id, user.name))
            if row is None:
                row = ReviewRow(artifact_id=artifact.id, user_name=user.name, created_at=now)
                session.add(row)
            row.stars = stars
            row.text = text
            row.updated_at = now
            session.add(audit_entry(artifact, "RATE", user))
        return row

    async def remove(self, artifact: ArtifactRow, author: str, by: Actor) -> bool:
        async with database_errors(), self._sessions.begin() as session:
            row = await session.get(ReviewRow, (artifact.id, author))
            if row is None:
                return False
            await session.delete(row)
            session.add(audit_entry(artifact, "RATE", by))
        return True

    async def page(
        self, artifact_id: str, offset: int, limit: int
    ) -> tuple[list[ReviewRow], ReviewStats]:
        """Newest change first; the count and average over every review of the artifact."""
        statement = (
            select(ReviewRow)
            .where(ReviewRow.artifact_id == artifact_id)
            .order_by(ReviewRow.updated_at.desc(), ReviewRow.user_name)
            .offset(offset)
            .limit(limit)
        )
        async with database_errors(), self._sessions() as session:
            rows = list((await session.execute(statement)).scalars())
        stats = (await self.stats([artifact_id])).get(artifact_id, ReviewStats(0, None))
        return rows, stats

    async def get(self, artifact_id: str, user_name: str) -> ReviewRow | None:
        async with database_errors(), self._sessions() as session:
            return await session.get(ReviewRow, (artifact_id, user_name))

    async def stats(self, artifact_ids: list[str] | None = None) -> dict[str, ReviewStats]:
        """Count and average stars per artifact (all artifacts when `artifact_ids` is None)."""
        statement = select(ReviewRow.artifact_id, func.count(), func.avg(ReviewRow.stars)).group_by(
            ReviewRow.artifact_id
        )
        if artifact_ids is not None:
            statement = statement.where(ReviewRow.artifact_id.in_(artifact_ids))
        async with database_errors(), self._sessions() as session:
            result = (await session.execute(statement)).all()
        return {
            id_: ReviewStats(int(n), round(float(avg), 2) if avg is not None else None)
            for id_, n, avg in result
        }

    async def forget(self, artifact_id: str) -> None:
        async with database_errors(), self._sessions.begin() as session:
            await forget_reviews_in(session, artifact_id)

    async def clear(self) -> None:
        async with database_errors(), self._sessions.begin() as session:
            await session.execute(delete(ReviewRow))


async def forget_reviews_in(session: AsyncSession, artifact_id: str) -> None:
    await session.execute(delete(ReviewRow).where(ReviewRow.artifact_id == artifact_id))


class Reviews:
    """The use cases; the caller has already found the (visible) artifact."""

    def __init__(self, store: ReviewStore, log: Any) -> None:
        self._store = store
        self._log = log

    async def listing(self, artifact: ArtifactRow, offset: int, limit: int) -> dict[str, Any]:
        if offset < 0 or not 1 <= limit <= MAX_PAGE:
            raise BadRequest(f"offset must be 0 or more and limit 1 to {MAX_PAGE}.")
        rows, stats = await self._store.page(artifact.id, offset, limit)
        following = offset + len(rows)
        return {
            "items": [review_entry(r) for r in rows],
            "count": stats.count,
            "average_stars": stats.average,
            "offset": offset,
            "limit": limit,
            "next_offset": following if following < stats.count else None,
        }

    async def get(self, artifact: ArtifactRow, user_name: str) -> dict[str, Any]:
        row = await self._store.get(artifact.id, user_name)
        if row is None:
            raise NotFound(f"{user_name!r} has not reviewed {artifact.type} {artifact.id!r}.")
        return review_entry(row)

    async def put(
        self, artifact: ArtifactRow, author: str, user: Actor | None, stars: int, text: str
    ) -> dict[str, Any]:
        caller = _known(user)
        if author != caller.name:
            raise PermissionDenied(
                f"{caller.name!r} may write only their own review, not {author!r}'s."
            )
        cleaned = check_review(stars, text)
        row = await self._store.put(artifact, caller, stars, cleaned)
        self._log.info(
            "ingest.review.saved", artifact_id=artifact.id, user=caller.name, stars=stars
        )
        return review_entry(row)

    async def remove(self, artifact: ArtifactRow, author: str, user: Actor | None) -> None:
        caller = _known(user)
        if author != caller.name and not caller.is_admin:
            raise PermissionDenied(f"Only {author!r} or an admin may delete {author!r}'s review.")
        if not await self._store.remove(artifact, author, caller):
            raise NotFound(f"{author!r} has not reviewed {artifact.type} {artifact.id!r}.")
        self._log.info(
            "ingest.review.deleted", artifact_id=artifact.id, author=author, by=caller.name
        )


def _known(user: Actor | None) -> Actor:
    if user is None:  # the gateway always names the caller; a bare internal call does not
        raise AuthenticationFailed("A review belongs to an authenticated user.")
    return user


def _utc_text(value: datetime) -> str:
    # SQLite hands back naive datetimes; every stored time is UTC.
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

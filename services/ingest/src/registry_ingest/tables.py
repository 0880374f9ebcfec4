"""The ingest service's own tables: the artifact catalog and its revision history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class ArtifactRow(Base):
    __tablename__ = "ingest_artifacts"

    # `seq` orders the catalog (stable pages, keyset pagination); `id` is the public id.
    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(512))
    type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # pending | ready | rejected
    revision: Mapped[int] = mapped_column(Integer, default=1)
    source_url: Mapped[str] = mapped_column(Text)
    source_kind: Mapped[str] = mapped_column(String(32))
    version: Mapped[str | None] = mapped_column(String(128), nullable=True)
    versions: Mapped[list[str]] = mapped_column(JSON, default=list)
    readme: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    content_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    bundle_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    uploader: Mapped[str | None] = mapped_column(String(255), nullable=True)
    vetted: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # The unsafe-weights scan of the current revision (scanning/bundle.py WeightsScan.as_json).
    weights_scan: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    net_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    # A copy of ingest_monitors.sensitive, written in the same transaction as it: every
    # download reads this row anyway, so a model that is not sensitive (nearly all) costs the
    # download no second read of ingest_monitors (docs/performance.md, bottleneck 3).
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_ingest_artifacts_status_seq", "status", "seq"),
        Index("ix_ingest_artifacts_name_status_seq", "name", "status", "seq"),
        Index("ix_ingest_artifacts_type_status_seq", "type", "status", "seq"),
    )


class ArtifactHistoryRow(Base):
    """A revision an update replaced; its blobs stay under its own prefix."""

    __tablename__ = "ingest_artifact_history"

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    artifact_id: Mapped[str] = mapped_column(String(64), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    source_url: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    replaced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    replaced_by: Mapped[str | None] = mapped_column(String(255), nullable=True)


class AuditRow(Base):
    """Who did what to an artifact, and when (the spec's audit trail)."""

    __tablename__ = "ingest_audit"

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    artifact_id: Mapped[str] = mapped_column(String(64), index=True)
    artifact_name: Mapped[str] = mapped_column(String(512))
    artifact_type: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))  # CREATE UPDATE DOWNLOAD RATE AUDIT
    user_name: Mapped[str] = mapped_column(String(255))
    user_is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # When the acting account was created (the auth service says so with every call): a
    # download by an account made minutes before is a bot-farm sign for the confusion audit.
    user_created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class PopularityRow(Base):
    """How often an artifact was downloaded and shown in search results (exact counters).

    Downloads are counted in the transaction that writes the DOWNLOAD audit row; search
    appearances are summed in memory and added in batches (`popularity.py`)."""

    __tablename__ = "ingest_popularity"

    artifact_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    downloads: Mapped[int] = mapped_column(BigInteger, default=0)
    search_appearances: Mapped[int] = mapped_column(BigInteger, default=0)


class MonitorRow(Base):
    """A model's sensitive flag and its JavaScript download monitor (R18); no row: not
    sensitive, no program."""

    __tablename__ = "ingest_monitors"

    artifact_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    program: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_by: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DownloadHistoryRow(Base):
    """One download attempt of a sensitive model and the monitor's verdict (R19)."""

    __tablename__ = "ingest_download_history"

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    artifact_id: Mapped[str] = mapped_column(String(64))
    user_name: Mapped[str] = mapped_column(String(255))
    part: Mapped[str] = mapped_column(String(16))
    client: Mapped[str | None] = mapped_column(String(255), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    verdict: Mapped[str] = mapped_column(String(16))  # allowed refused failed timed_out
    monitored: Mapped[bool] = mapped_column(Boolean, default=True)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    output: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text, default="")
    duration: Mapped[float | None] = mapped_column(Float, nullable=True)

    __table_args__ = (Index("ix_ingest_download_history_artifact_seq", "artifact_id", "seq"),)


class BundleIndexRow(Base):
    """Where each file of a revision's full bundle lies inside the zip (bundle_index.py), so
    the Hub-compatible API serves one file as a byte range of the stored blob."""

    __tablename__ = "ingest_bundle_index"

    artifact_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    entries: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GroupRow(Base):
    """An atomic group request (R25): open while its owner appends commands, then executed
    once (committed or failed), or expired. Its commands are `GroupCommandRow`s."""

    __tablename__ = "ingest_groups"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(255), index=True)
    state: Mapped[str] = mapped_column(String(16))  # open executing committed failed expired
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    executed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Which command failed (its position), with the status and sentence the caller got.
    failed_position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    failure_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    failure: Mapped[str | None] = mapped_column(Text, nullable=True)


class GroupCommandRow(Base):
    """One command of a group: upload (a zip kept under `upload_key` until execute), ingest
    (from a URL), update or delete; `artifact_id` is the target, or the staged new id."""

    __tablename__ = "ingest_group_commands"

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    group_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    op: Mapped[str] = mapped_column(String(16))  # upload ingest update delete
    artifact_type: Mapped[str] = mapped_column(String(16))
    artifact_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    name: Mapped[str | None] = mapped_column(String(512), nullable=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[str | None] = mapped_column(String(128), nullable=True)
    upload_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    filename: Mapped[str | None] = mapped_column(String(255), nullable=True)

    __table_args__ = (Index("ix_ingest_group_commands_group_position", "group_id", "position"),)


class ReviewRow(Base):
    """One user's star rating (1-5) and short review of one artifact; editing replaces it.
    Deleted with the artifact and by a reset."""

    __tablename__ = "ingest_reviews"

    artifact_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    stars: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

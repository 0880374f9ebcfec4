"""The lineage service's own tables: artifacts it knows, the keys that name them, and the
references each artifact makes to its ancestors."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ArtifactNodeRow(Base):
    __tablename__ = "lineage_artifacts"

    artifact_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(512))
    type: Mapped[str] = mapped_column(String(16))
    source_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    content_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ArtifactKeyRow(Base):
    __tablename__ = "lineage_keys"

    key: Mapped[str] = mapped_column(String(600), primary_key=True)
    artifact_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class ReferenceRow(Base):
    __tablename__ = "lineage_references"

    child_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    parent_key: Mapped[str] = mapped_column(String(600), primary_key=True, index=True)
    relationship: Mapped[str] = mapped_column(String(64), primary_key=True)
    parent_name: Mapped[str] = mapped_column(String(512))
    parent_kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(32))
    relation: Mapped[str | None] = mapped_column(String(32), nullable=True)

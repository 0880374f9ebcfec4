"""The scoring service's own table: one rating per artifact (the newest)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class RatingRow(Base):
    __tablename__ = "scoring_ratings"

    artifact_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(512))
    # The source's repository id (e.g. google-bert/bert-base-uncased): how children name
    # their parents in card metadata, so tree scores can find a parent's rating.
    repo_id: Mapped[str | None] = mapped_column(String(512), nullable=True, index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    rating: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    net_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    parents: Mapped[list[str]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ParentLinkRow(Base):
    """`child` names `parent_ref` (a repo id or name) as a parent: who to re-score when the
    parent's rating changes."""

    __tablename__ = "scoring_parent_links"

    child_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    parent_ref: Mapped[str] = mapped_column(String(512), primary_key=True, index=True)

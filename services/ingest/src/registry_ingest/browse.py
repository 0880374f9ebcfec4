"""The browse listing (issue 18.4): every visible artifact with what helps choose one (net
score and vetted mark, users' average stars, license and its family, size, last update,
downloads), filtered, sorted and cut into pages here, so a client never loads the catalog.

The catalog, the download counters and the reviews live in different tables (and, with
`INGEST_METADATA_STORE=dynamodb`, different stores), so the listing joins them in memory for
one request: a pass over the visible rows, which the popularity audit already makes; the
cursor is the position in that order (docs/decisions.md, "Browse listing")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from registry_common.errors import BadRequest
from registry_ingest.catalog import CatalogStore
from registry_ingest.popularity import Popularity
from registry_ingest.reviews import ReviewStats, ReviewStore
from registry_ingest.tables import ArtifactRow

SORTS = ("name", "score", "stars", "license", "size", "updated", "downloads")
FAMILIES = ("permissive", "copyleft", "restricted", "unknown")
TYPES = ("model", "dataset", "code")
MAX_LIMIT = 100

# A coarse grouping for a filter, by SPDX-like id; the lineage service's license table is the
# authority on what a license allows (docs/licenses.md).
_COPYLEFT = re.compile(r"^(a?gpl|lgpl|mpl|epl|eupl|cddl|osl|cc-by-sa|odbl|cecill)", re.I)
_PERMISSIVE = re.compile(
    r"^(mit|apache|bsd|isc|zlib|unlicense|cc0|cc-by(-[0-9.]+)?$|bsl-1|0bsd|wtfpl|postgresql|"
    r"python-2|pddl|odc-by|artistic-2)",
    re.I,
)


def license_family(license: str | None) -> str:
    """permissive, copyleft, restricted (non-commercial, no-derivatives, use-restricted model
    licenses and anything else named) or unknown (no license found)."""
    text = (license or "").strip()
    if not text or text.lower() in {"none", "unknown", "noassertion", "n/a"}:
        return "unknown"
    if re.search(r"-(nc|nd)\b|-nc-|-nd-", text, re.I):
        return "restricted"
    if _COPYLEFT.match(text):
        return "copyleft"
    if _PERMISSIVE.match(text):
        return "permissive"
    return "restricted"


@dataclass(frozen=True)
class BrowseQuery:
    sort: str = "score"
    order: str = "desc"
    vetted: bool | None = None
    license_family: str | None = None
    type: str | None = None
    limit: int = 20
    cursor: str | None = None

    def checked(self) -> BrowseQuery:
        if self.sort not in SORTS:
            raise BadRequest(f"sort must be one of {', '.join(SORTS)}; got {self.sort!r}.")
        if self.order not in ("asc", "desc"):
            raise BadRequest(f"order must be asc or desc; got {self.order!r}.")
        if self.license_family is not None and self.license_family not in FAMILIES:
            raise BadRequest(
                f"license_family must be one of {', '.join(FAMILIES)}; got {self.license_family!r}."
            )
        if self.type is not None and self.type not in TYPES:
            raise BadRequest(f"type must be one of {', '.join(TYPES)}; got {self.type!r}.")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise BadRequest(f"limit must be from 1 to {MAX_LIMIT}; got {self.limit}.")
        return self

    def start(self) -> int:
        if self.cursor is None:
            return 0
        if not self.cursor.isdigit() or len(self.cursor) > 9:
            raise BadRequest(
                "cursor is not one this listing handed out; pass next_cursor from the "
                "previous page, or none for the first page."
            )
        return int(self.cursor)


def _entry(row: ArtifactRow, downloads: int, reviews: ReviewStats) -> dict[str, Any]:
    license = row.details.get("license")
    return {
        "id": row.id,
        "name": row.name,
        "type": row.type,
        "net_score": row.net_score,
        "vetted": row.vetted,
        "average_stars": reviews.average,
        "review_count": reviews.count,
        "license": license,
        "license_family": license_family(license),
        "size_bytes": row.bundle_bytes,
        "updated_at": row.updated_at.isoformat(),
        "downloads": downloads,
    }


def _key(sort: str, entry: dict[str, Any]) -> Any:
    """Sort key; missing values (no score, no stars, no license) go last in either order."""
    value = {
        "name": entry["name"].lower(),
        "score": entry["net_score"],
        "stars": entry["average_stars"],
        "license": (entry["license"] or "").lower() or None,
        "size": entry["size_bytes"],
        "updated": entry["updated_at"],
        "downloads": entry["downloads"],
    }[sort]
    return value


class Browser:
    def __init__(self, catalog: CatalogStore, popularity: Popularity, reviews: ReviewStore):
        self._catalog = catalog
        self._popularity = popularity
        self._reviews = reviews

    async def page(self, query: BrowseQuery) -> dict[str, Any]:
        query = query.checked()
        start = query.start()
        rows = await self._catalog.summaries()
        downloads = await self._popularity.download_counts()
        stats = await self._reviews.stats()
        none = ReviewStats(0, None)
        entries = [
            _entry(r, downloads.get(r.id, 0), stats.get(r.id, none))
            for r in rows
            if (query.type is None or r.type == query.type)
            and (query.vetted is None or bool(r.vetted) == query.vetted)
        ]
        if query.license_family is not None:
            entries = [e for e in entries if e["license_family"] == query.license_family]
        # Ties keep a stable order (by id) so pages neither repeat nor skip an artifact.
        entries.sort(key=lambda e: e["id"])
        present = [e for e in entries if _key(query.sort, e) is not None]
        missing = [e for e in entries if _key(query.sort, e) is None]
        present.sort(key=lambda e: _key(query.sort, e), reverse=query.order == "desc")
        ordered = present + missing
        items = ordered[start : start + query.limit]
        following = start + len(items)
        return {
            "items": items,
            "total": len(ordered),
            "next_cursor": str(following) if following < len(ordered) else None,
        }

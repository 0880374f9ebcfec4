"""Where artifacts come from: parse source URLs, fetch them, unpack uploads safely."""

from registry_ingest.sources.archive import UploadLimits
from registry_ingest.sources.fetcher import SourceFetcher
from registry_ingest.sources.model import FetchedFile, FetchedSource, classify_file
from registry_ingest.sources.urls import SourceRef, parse_source_url, upload_ref

__all__ = [
    "FetchedFile",
    "FetchedSource",
    "SourceFetcher",
    "SourceRef",
    "UploadLimits",
    "classify_file",
    "parse_source_url",
    "upload_ref",
]

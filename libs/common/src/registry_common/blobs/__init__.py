"""The blob store port and its implementations (local directory, S3)."""

from registry_common.blobs.factory import create_blob_store
from registry_common.blobs.port import BlobInfo, BlobNotFound, BlobStore, content_disposition

__all__ = ["BlobInfo", "BlobNotFound", "BlobStore", "content_disposition", "create_blob_store"]

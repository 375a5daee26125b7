"""The S3 path for large packages: the artifacts bucket and an upload with progress."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from boto3.s3.transfer import TransferConfig

from app.deploy.connection import Connection
from app.deploy.errors import error_code, explain, retry
from app.deploy.packaging import PackageResult
from app.deploy.progress import STEP_UPLOAD, Cancelled, CancelLike, Progress, Sink, check_cancel, null_sink


def default_bucket(conn: Connection) -> str:
    """lambda-studio-artifacts-<account>-<region>: one per account and region."""
    return f"lambda-studio-artifacts-{conn.identity().account}-{conn.region_name}"


def package_key(function_name: str, package: PackageResult) -> str:
    # Content-addressed: the same package is never uploaded twice.
    return f"lambda-studio/{function_name}/{package.sha256_hex}.zip"


def bucket_missing(conn: Connection, s3: Any, bucket: str, *, may_create: bool) -> bool:
    """Blocks: False when the bucket exists, True when it is missing and may be created; else raises."""
    try:
        s3.head_bucket(Bucket=bucket)
        return False
    except Exception as exc:
        if error_code(exc) not in ("404", "NoSuchBucket", "NotFound") or not may_create:
            raise explain(exc, f"checking the S3 bucket {bucket}", conn.profile) from exc
    return True


def create_bucket_args(conn: Connection, bucket: str) -> dict[str, object]:
    """CreateBucket's arguments in the connection's region (us-east-1 takes no LocationConstraint)."""
    kwargs: dict[str, object] = {"Bucket": bucket}
    if conn.region_name != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": conn.region_name}
    return kwargs


def ensure_bucket(conn: Connection, bucket: str, *, create: bool, sink: Sink = null_sink) -> None:
    """Blocks: make sure the bucket exists; create it (private, in our region) if allowed."""
    s3 = conn.client("s3")
    if not bucket_missing(conn, s3, bucket, may_create=create):
        return
    sink(Progress(STEP_UPLOAD, f"creating S3 bucket {bucket}"))
    try:
        s3.create_bucket(**create_bucket_args(conn, bucket))
    except Exception as exc:
        if error_code(exc) != "BucketAlreadyOwnedByYou":
            raise explain(exc, f"creating the S3 bucket {bucket}", conn.profile) from exc


def upload_package(
    conn: Connection,
    package: PackageResult,
    bucket: str,
    key: str,
    *,
    sink: Sink = null_sink,
    cancel: CancelLike | None = None,
) -> bool:
    """Blocks: upload the zip with n% progress; skipped (returns False) when the same object is there."""
    s3 = conn.client("s3")
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
        if int(head.get("ContentLength", -1)) == package.zipped_size:
            sink(Progress(STEP_UPLOAD, f"s3://{bucket}/{key} already uploaded", 1.0))
            return False
    except Exception as exc:
        if error_code(exc) not in ("404", "NoSuchKey", "NotFound"):
            raise explain(exc, f"checking s3://{bucket}/{key}", conn.profile) from exc
    done = 0
    lock = threading.Lock()
    total = max(package.zipped_size, 1)

    def on_bytes(n: int) -> None:
        nonlocal done
        with lock:
            done += n
            sink(Progress(STEP_UPLOAD, f"uploading to s3://{bucket}/{key}", min(done / total, 1.0)))
        if cancel is not None and cancel.is_set():
            raise Cancelled("cancelled during the upload")

    config = TransferConfig(use_threads=False, multipart_threshold=64 * 1024 * 1024)
    check_cancel(cancel, "uploading")

    def upload() -> None:
        nonlocal done
        done = 0
        s3.upload_file(str(Path(package.path)), bucket, key, Config=config, Callback=on_bytes)

    try:
        retry(upload, action="uploading the package", cancel=cancel)
    except Cancelled:
        raise
    except Exception as exc:
        raise explain(exc, f"uploading to s3://{bucket}/{key}", conn.profile) from exc
    return True

"""Build once per function and layer, and put the zips in S3 under content-addressed keys."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from app.deploy.artifacts import bucket_missing, create_bucket_args, default_bucket, upload_package
from app.deploy.connection import Connection
from app.deploy.errors import KIND_INVALID, DeployError, error_code, explain
from app.deploy.packaging import PackageResult, package_function, package_layer
from app.deploy.progress import STEP_UPLOAD, CancelLike, Progress, Sink, check_cancel, null_sink
from app.deploy.stack.model import Artifact
from app.project.model import Project

FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
LAYER_TYPES = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")


def artifact_key(prefix: str, sha256_hex: str) -> str:
    # Content-addressed: the same zip always has the same key, so it is never uploaded twice.
    return f"{prefix.strip('/')}/{sha256_hex}.zip" if prefix.strip("/") else f"{sha256_hex}.zip"


def build_artifacts(
    project: Project,
    resources: dict[str, object],
    *,
    bucket: str,
    prefix: str,
    cache_dir: Path,
    sink: Sink = null_sink,
    cancel: CancelLike | None = None,
    pip_command: Sequence[str] | None = None,
    id_prefix: str = "",
) -> dict[str, Artifact]:
    """Blocks: build every local function and layer of the root template; returns them by logical id.

    Nothing is uploaded here: keys follow from the content, so the deployed template can be compared
    before any upload. `id_prefix` ("App/") picks a nested application's functions and layers; the
    result is keyed by their logical ids in that template.
    """

    def own(full_id: str | None) -> str | None:
        if full_id is None or not full_id.startswith(id_prefix) or "/" in full_id[len(id_prefix) :]:
            return None
        return full_id[len(id_prefix) :]

    out: dict[str, Artifact] = {}
    for fn in project.functions:
        logical_id = own(fn.logical_id)
        resource = resources.get(logical_id) if logical_id else None
        if logical_id is None or not isinstance(resource, dict) or resource.get("Type") not in FUNCTION_TYPES:
            continue  # nested applications' functions are packaged with their own template
        if fn.package_type != "Zip" and not fn.image_uri:
            raise DeployError(
                f"{fn.logical_id} is a container image function without an ImageUri; a stack deploy here does "
                "not build or push images.",
                "Build the image, push it to ECR and set ImageUri (or use sam build/sam deploy for this one).",
                KIND_INVALID,
            )
        if fn.package_type != "Zip" or fn.image_uri or fn.inline_code is not None or fn.code_s3:
            continue
        check_cancel(cancel, "building")
        built = package_function(fn, cache_dir=cache_dir, sink=sink, cancel=cancel, pip_command=pip_command)
        out[logical_id] = _artifact(logical_id, "function", built, bucket, prefix)
    for layer in project.layers:
        layer_id = own(layer.logical_id)
        if layer_id is None or layer.content_dir is None:
            continue
        resource = resources.get(layer_id)
        if not isinstance(resource, dict) or resource.get("Type") not in LAYER_TYPES:
            continue
        check_cancel(cancel, "building")
        props = resource.get("Properties")
        arch = "x86_64"
        if isinstance(props, dict) and isinstance(props.get("CompatibleArchitectures"), list):
            arch = str((props["CompatibleArchitectures"] or ["x86_64"])[0])
        runtime = next(iter(layer.compatible_runtimes), None) or _first_runtime(project)
        built = package_layer(
            layer, runtime=runtime, architecture=arch, cache_dir=cache_dir, sink=sink, cancel=cancel,
            pip_command=pip_command,
        )  # fmt: skip
        out[layer_id] = _artifact(layer_id, "layer", built, bucket, prefix)
    return out


def _first_runtime(project: Project) -> str | None:
    return next((f.runtime for f in project.functions if f.runtime), None)


def _artifact(logical_id: str, kind: str, built: PackageResult, bucket: str, prefix: str) -> Artifact:
    return Artifact(
        logical_id,
        kind,
        built.path,
        built.sha256_hex,
        built.zipped_size,
        bucket,
        artifact_key(prefix, built.sha256_hex),
    )


def managed_bucket_name(conn: Connection) -> str:
    return default_bucket(conn)


def ensure_artifact_bucket(conn: Connection, bucket: str, *, managed: bool, sink: Sink = null_sink) -> bool:
    """Blocks: check the bucket; create the managed one (encrypted, private, versioned) when missing.

    Returns True when it was created now. A named bucket that does not exist is an error, not created.
    """
    s3 = conn.client("s3")
    if not bucket_missing(conn, s3, bucket, may_create=managed):
        return False
    sink(Progress(STEP_UPLOAD, f"creating the artifacts bucket {bucket} (encrypted, private, versioned)"))
    try:
        try:
            s3.create_bucket(**create_bucket_args(conn, bucket))
        except Exception as exc:
            if error_code(exc) != "BucketAlreadyOwnedByYou":
                raise
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True, "IgnorePublicAcls": True,
                "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
            },
        )  # fmt: skip
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        )
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    except Exception as exc:
        raise explain(exc, f"creating the artifacts bucket {bucket}", conn.profile) from exc
    return True


def upload_artifacts(
    conn: Connection,
    artifacts: dict[str, Artifact],
    *,
    sink: Sink = null_sink,
    cancel: CancelLike | None = None,
) -> int:
    """Blocks: upload the zips S3 does not have yet (with progress); returns how many were uploaded."""
    uploaded = 0
    seen: set[tuple[str, str]] = set()
    for art in artifacts.values():
        if (art.bucket, art.key) in seen:
            continue
        seen.add((art.bucket, art.key))
        check_cancel(cancel, "uploading")
        package = PackageResult(art.path, "", art.sha256_hex, art.size, 0, 0, None, 0.0)
        if upload_package(conn, package, art.bucket, art.key, sink=sink, cancel=cancel):
            uploaded += 1
    return uploaded

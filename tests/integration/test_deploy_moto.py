"""Deploying against a real moto_server: create with a new role, no-op redeploy, code and config changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.deploy import artifacts
from app.deploy.deploy import deploy_function, execute
from app.deploy.errors import DeployError
from app.deploy.packaging import Limits
from app.deploy.plan import make_plan
from app.deploy.progress import Cancelled, CancelToken, Progress
from app.project.model import LayerSpec
from tests.integration.deploy_helpers import HANDLER, make_function, options
from tests.integration.moto_fixtures import CallCounter, conn, moto_server, moto_url  # noqa: F401

pytestmark = pytest.mark.moto


def test_first_deploy_creates_role_and_function(conn, tmp_path: Path) -> None:  # noqa: F811
    fn = make_function(tmp_path)
    events: list[Progress] = []
    plan, result = deploy_function(conn, fn, options(tmp_path, create_role=True), sink=events.append)
    assert plan.action == "create"
    assert result is not None and result.created
    role_name = f"lambda-studio-{fn.function_name}"
    assert result.role_created and result.role_created.endswith(f":role/{role_name}")
    cfg = conn.client("lambda").get_function(FunctionName=fn.function_name)["Configuration"]
    assert cfg["CodeSha256"] == plan.package.sha256
    assert cfg["Runtime"] == "python3.12" and cfg["MemorySize"] == 256 and cfg["Timeout"] == 10
    assert cfg["Environment"]["Variables"] == {"STAGE": "dev"}
    assert cfg["Role"] == result.role_created
    role = conn.client("iam").list_attached_role_policies(RoleName=role_name)
    assert [p["PolicyName"] for p in role["AttachedPolicies"]] == ["AWSLambdaBasicExecutionRole"]
    steps = [e.step for e in events]
    assert steps[0] == "package" and "create" in steps and steps[-1] == "done"


def test_noop_redeploy_sends_no_upload_and_no_update(conn, tmp_path: Path) -> None:  # noqa: F811
    fn = make_function(tmp_path)
    deploy_function(conn, fn, options(tmp_path, create_role=True))
    counter = CallCounter().attach(conn.client("lambda"))
    plan, result = deploy_function(conn, fn, options(tmp_path))
    assert plan.action == "none" and not plan.changes and not plan.code_changed
    assert result is not None and not result.changed
    assert counter.calls == ["GetFunction"], counter.calls
    assert "no changes" in plan.render()


def test_code_change_updates_code_only(conn, tmp_path: Path) -> None:  # noqa: F811
    fn = make_function(tmp_path)
    deploy_function(conn, fn, options(tmp_path, create_role=True))
    (fn.code_dir / "app.py").write_text(HANDLER + "\n# changed\n")  # type: ignore[operator]
    counter = CallCounter().attach(conn.client("lambda"))
    plan, result = deploy_function(conn, fn, options(tmp_path))
    assert plan.action == "update" and plan.code_changed and not plan.changes
    assert result is not None and result.code_updated and not result.config_updated
    assert counter.count("UpdateFunctionCode") == 1 and counter.count("UpdateFunctionConfiguration") == 0
    assert conn.client("lambda").get_function(FunctionName=fn.function_name)["Configuration"][
        "CodeSha256"
    ] == (plan.package.sha256)


def test_config_change_sends_only_changed_fields(conn, tmp_path: Path) -> None:  # noqa: F811
    fn = make_function(tmp_path)
    deploy_function(conn, fn, options(tmp_path, create_role=True))
    fn.memory_size = 512
    fn.environment = {"STAGE": "prod", "NEW": "1"}
    counter = CallCounter().attach(conn.client("lambda"))
    plan, result = deploy_function(conn, fn, options(tmp_path))
    assert not plan.code_changed
    assert {c.field for c in plan.changes} == {"MemorySize", "Environment"}
    assert "memory (MB)   256 -> 512" in plan.render()
    assert counter.count("UpdateFunctionCode") == 0
    [sent] = counter.params_of("UpdateFunctionConfiguration")
    assert set(sent) == {"FunctionName", "MemorySize", "Environment"}
    cfg = conn.client("lambda").get_function(FunctionName=fn.function_name)["Configuration"]
    assert cfg["MemorySize"] == 512 and cfg["Environment"]["Variables"] == {"STAGE": "prod", "NEW": "1"}
    assert result is not None and result.config_updated == ["Environment", "MemorySize"]


def test_failure_after_code_update_says_what_state_the_function_is_in(conn, tmp_path: Path) -> None:  # noqa: F811
    fn = make_function(tmp_path)
    deploy_function(conn, fn, options(tmp_path, create_role=True))
    (fn.code_dir / "app.py").write_text(HANDLER + "\n# v2\n")  # type: ignore[operator]
    fn.layers = [LayerSpec(None, arn="arn:aws:lambda:us-east-1:123456789012:layer:missing:1")]
    with pytest.raises(DeployError) as info:
        deploy_function(conn, fn, options(tmp_path))
    err = info.value
    assert err.kind == "partial"
    assert "the code was updated" in err.message and "NOT applied: layers is still []" in err.message
    assert "new code with its old configuration" in err.message
    assert "deploy again" in err.hint


def test_large_package_goes_through_s3_with_progress(conn, tmp_path: Path) -> None:  # noqa: F811
    fn = make_function(tmp_path)
    opts = options(tmp_path, create_role=True, limits=Limits(direct_upload_bytes=1000))
    events: list[Progress] = []
    plan, result = deploy_function(conn, fn, opts, sink=events.append)
    assert plan.use_s3 and plan.package.zipped_size > 1000
    bucket = "lambda-studio-artifacts-123456789012-us-east-1"
    assert (
        result is not None
        and result.uploaded_to == f"s3://{bucket}/{artifacts.package_key(fn.function_name, plan.package)}"
    )
    head = conn.client("s3").head_object(
        Bucket=bucket, Key=artifacts.package_key(fn.function_name, plan.package)
    )
    assert head["ContentLength"] == plan.package.zipped_size
    uploads = [e.fraction for e in events if e.step == "upload" and e.fraction is not None]
    assert uploads and uploads[-1] == 1.0
    cfg = conn.client("lambda").get_function(FunctionName=fn.function_name)["Configuration"]
    assert cfg["CodeSha256"] == plan.package.sha256
    # An unzipped size over the limit is refused, with the sizes.
    with pytest.raises(DeployError, match=r"unzipped.*Lambda allows 100 B"):
        make_plan(conn, fn, options(tmp_path, limits=Limits(unzipped_bytes=100)))


def test_layer_is_published_only_when_its_content_changes(conn, tmp_path: Path) -> None:  # noqa: F811
    fn = make_function(tmp_path, layer=True)
    _, first = deploy_function(conn, fn, options(tmp_path, create_role=True))
    assert first is not None and first.layers_published == [f"{fn.function_name}-common:1"]
    counter = CallCounter().attach(conn.client("lambda"))
    plan, again = deploy_function(conn, fn, options(tmp_path))
    assert plan.action == "none" and again is not None and not again.changed
    assert counter.count("PublishLayerVersion") == 0
    layer_file = tmp_path / "layers" / "common" / "python" / "common" / "__init__.py"
    layer_file.write_text("VALUE = 2\n")
    plan, third = deploy_function(conn, fn, options(tmp_path))
    assert [la.publish for la in plan.layers] == [True]
    assert third is not None and third.layers_published == [f"{fn.function_name}-common:2"]
    assert third.config_updated == ["Layers"] and not third.code_updated
    cfg = conn.client("lambda").get_function(FunctionName=fn.function_name)["Configuration"]
    assert [layer["Arn"] for layer in cfg["Layers"]] == [
        f"arn:aws:lambda:us-east-1:123456789012:layer:{fn.function_name}-common:2"
    ]


def test_publish_version_and_alias(conn, tmp_path: Path) -> None:  # noqa: F811
    fn = make_function(tmp_path)
    _, result = deploy_function(
        conn, fn, options(tmp_path, create_role=True, publish_version=True, alias="live")
    )
    assert result is not None and result.version == "1" and result.alias == "live"
    alias = conn.client("lambda").get_alias(FunctionName=fn.function_name, Name="live")
    assert alias["FunctionVersion"] == "1"


def test_new_function_without_role_is_refused_before_any_change(conn, tmp_path: Path) -> None:  # noqa: F811
    fn = make_function(tmp_path)
    counter = CallCounter().attach(conn.client("lambda"))
    plan = make_plan(conn, fn, options(tmp_path))
    assert plan.problems and "execution role" in plan.problems[0]
    with pytest.raises(DeployError, match="execution role"):
        execute(conn, plan)
    assert counter.calls == ["GetFunction"]


def test_cancel_before_execute_changes_nothing(conn, tmp_path: Path) -> None:  # noqa: F811
    fn = make_function(tmp_path)
    plan = make_plan(conn, fn, options(tmp_path, create_role=True))
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        execute(conn, plan, cancel=token)
    names = [f["FunctionName"] for f in conn.client("lambda").list_functions()["Functions"]]
    assert fn.function_name not in names


def test_a_stale_plan_is_refused(conn, tmp_path: Path) -> None:  # noqa: F811
    fn = make_function(tmp_path)
    stale = make_plan(conn, fn, options(tmp_path, create_role=True))
    (fn.code_dir / "app.py").write_text(HANDLER + "\n# edited after planning\n")  # type: ignore[operator]
    make_plan(conn, fn, options(tmp_path, create_role=True))  # rebuilds the same package file
    with pytest.raises(DeployError, match="Plan again"):
        execute(conn, stale)

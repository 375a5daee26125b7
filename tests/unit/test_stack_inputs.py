"""What a stack deploy checks before any change: parameters, samconfig.toml, capabilities, cfn-lint."""

from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path

import pytest

from app.deploy.errors import DeployError
from app.deploy.stack.lint import lint_template, lint_text
from app.deploy.stack.model import Artifact
from app.deploy.stack.params import resolve_parameters
from app.deploy.stack.samconfig import DeployConfig, save_deploy_config
from app.deploy.stack.template import canonical, needed_capabilities, template_text, with_artifacts
from app.project.model import Severity
from app.project.sam import SamConfig

PARAMS = {
    "Stage": {"Type": "String", "Default": "dev", "AllowedValues": ["dev", "prod"]},
    "Prefix": {"Type": "String", "Default": "ab", "AllowedPattern": "[a-z]+", "MinLength": 2, "MaxLength": 4,
               "ConstraintDescription": "lowercase letters"},
    "Size": {"Type": "Number", "Default": 10, "MinValue": 1, "MaxValue": 100},
    "Ports": {"Type": "List<Number>", "Default": "80,443"},
    "Needed": {"Type": "String"},
}  # fmt: skip


def messages(overrides: dict[str, str]) -> list[str]:
    return [p.message for p in resolve_parameters(PARAMS, {"Needed": "x", **overrides})[1]]


def test_defaults_and_overrides_resolve() -> None:
    values, problems = resolve_parameters(PARAMS, {"Needed": "x", "Size": "5"})
    assert problems == []
    assert values == {"Stage": "dev", "Prefix": "ab", "Size": "5", "Ports": "80,443", "Needed": "x"}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"Stage": "qa"}, "Stage='qa' is not one of its AllowedValues: dev, prod"),
        ({"Prefix": "AB"}, "Prefix='AB' does not match its AllowedPattern [a-z]+ (lowercase letters)"),
        ({"Prefix": "a"}, "Prefix is 1 characters long; its MinLength is 2"),
        ({"Prefix": "abcde"}, "Prefix is 5 characters long; its MaxLength is 4"),
        ({"Size": "0"}, "Size=0 is outside its MinValue 1"),
        ({"Size": "101"}, "Size=101 is outside its MaxValue 100"),
        ({"Size": "ten"}, "Size must be a number (Number), not 'ten'"),
        ({"Ports": "80,http"}, "Ports must be a number (List<Number>), not 'http'"),
        ({"Typo": "1"}, "Typo is not a parameter of the template"),
    ],
)
def test_each_constraint_refuses_naming_the_parameter(overrides: dict[str, str], expected: str) -> None:
    found = messages(overrides)
    assert any(m.startswith(expected) for m in found), found


def test_a_parameter_without_default_or_value_is_refused() -> None:
    assert resolve_parameters(PARAMS, {})[1][0].message.startswith("Needed has no Default")


SAM_WRITTEN = """version = 0.1

[default.global.parameters]
stack_name = "shop"

[default.deploy.parameters]
s3_bucket = "my-artifacts"
s3_prefix = "shop"
region = "eu-west-1"
profile = "work"
capabilities = "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND"
parameter_overrides = "Stage=\\"prod\\" Greeting=\\"Hi there\\""
tags = "team=\\"web\\" cost=\\"42\\""
confirm_changeset = true

[default.build.parameters]
cached = true

[prod.deploy.parameters]
stack_name = "shop-prod"
capabilities = ["CAPABILITY_NAMED_IAM"]
"""


def test_samconfig_as_sam_cli_writes_it_is_read_per_environment(tmp_path: Path) -> None:
    (tmp_path / "samconfig.toml").write_text(SAM_WRITTEN)
    cfg = DeployConfig.load(tmp_path)
    assert (cfg.stack_name, cfg.s3_bucket, cfg.s3_prefix, cfg.region, cfg.profile) == (
        "shop", "my-artifacts", "shop", "eu-west-1", "work",
    )  # fmt: skip
    assert cfg.capabilities == ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
    assert cfg.parameter_overrides == {"Stage": "prod", "Greeting": "Hi there"}
    assert cfg.tags == {"team": "web", "cost": "42"} and cfg.confirm_changeset is True
    prod = DeployConfig.load(tmp_path, "prod")
    assert prod.stack_name == "shop-prod" and prod.capabilities == ["CAPABILITY_NAMED_IAM"]
    # The project loader reads the same file through the same reader.
    assert SamConfig.load(tmp_path)[0].parameter_overrides == {"Stage": "prod", "Greeting": "Hi there"}


def test_saving_keeps_every_other_table_and_reads_back(tmp_path: Path) -> None:
    (tmp_path / "samconfig.toml").write_text(SAM_WRITTEN)
    cfg = DeployConfig(env="staging", stack_name="shop-staging", parameter_overrides={"Greeting": "it's \"here\""},
                       capabilities=["CAPABILITY_IAM"], tags={"team": "web"}, resolve_s3=True)  # fmt: skip
    save_deploy_config(tmp_path, cfg)
    data = tomllib.loads((tmp_path / "samconfig.toml").read_text())
    assert data["default"]["build"]["parameters"] == {"cached": True}
    assert data["prod"]["deploy"]["parameters"]["stack_name"] == "shop-prod"
    again = DeployConfig.load(tmp_path, "staging")
    assert again.stack_name == "shop-staging" and again.parameter_overrides == {"Greeting": 'it\'s "here"'}
    assert again.resolve_s3 and again.capabilities == ["CAPABILITY_IAM"] and again.tags == {"team": "web"}
    assert DeployConfig.load(tmp_path).stack_name == "shop"  # the default environment is untouched


def test_a_broken_samconfig_is_refused_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "samconfig.toml").write_text("[default\n")
    with pytest.raises(DeployError, match="samconfig.toml ignored"):
        DeployConfig.load(tmp_path)
    with pytest.raises(DeployError):
        save_deploy_config(tmp_path, DeployConfig(stack_name="x"))
    assert (tmp_path / "samconfig.toml").read_text() == "[default\n"


COMMENTED = """# Settings for SAM CLI - keep this comment
version = 0.1

[default.deploy.parameters]
stack_name = "shop"  # the production stack
s3_bucket = "old-bucket"
# capabilities we reviewed with security
capabilities = "CAPABILITY_IAM"

[default.local_start_api.parameters]
warm_containers = "EAGER"   # faster local runs
"""


def test_saving_keeps_comments_order_and_other_sections(tmp_path: Path) -> None:
    (tmp_path / "samconfig.toml").write_text(COMMENTED)
    cfg = DeployConfig.load(tmp_path)
    cfg.s3_bucket, cfg.parameter_overrides = "new-bucket", {"Stage": "prod"}
    save_deploy_config(tmp_path, cfg)
    text = (tmp_path / "samconfig.toml").read_text()
    for kept in (
        "# Settings for SAM CLI - keep this comment",
        "# capabilities we reviewed with security",
        'warm_containers = "EAGER"   # faster local runs',
        'stack_name = "shop"  # the production stack',
    ):
        assert kept in text  # fmt: skip
    assert 's3_bucket = "new-bucket"' in text and "old-bucket" not in text
    assert text.index("stack_name") < text.index("s3_bucket") < text.index("capabilities")  # order kept
    assert text.count("[default.deploy.parameters]") == 1
    assert DeployConfig.load(tmp_path).parameter_overrides == {"Stage": "prod"}
    data = tomllib.loads(text)
    assert data["default"]["local_start_api"]["parameters"] == {"warm_containers": "EAGER"}


def test_a_new_file_looks_like_sam_cli_writes_it(tmp_path: Path) -> None:
    save_deploy_config(tmp_path, DeployConfig(env="qa", stack_name="shop-qa", confirm_changeset=False))
    text = (tmp_path / "samconfig.toml").read_text()
    assert text.startswith("version = 0.1\n")
    assert "[qa.deploy.parameters]" in text and "[qa]" not in text and "[qa.deploy]" not in text
    assert DeployConfig.load(tmp_path, "qa").confirm_changeset is False


def test_capabilities_follow_the_expanded_template() -> None:
    roles = {"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {}}}}
    named = {"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "x"}}}}
    assert needed_capabilities(roles, keeps_transform=False) == ["CAPABILITY_IAM"]
    assert needed_capabilities(named, keeps_transform=False) == ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
    assert needed_capabilities({"Resources": {}}, keeps_transform=True) == ["CAPABILITY_AUTO_EXPAND"]
    assert needed_capabilities({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}, keeps_transform=False) == []


def test_packaged_template_points_at_s3_as_sam_package_does() -> None:
    template = {
        "Resources": {
            "Fn": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "src/"}},
            "Layer": {"Type": "AWS::Serverless::LayerVersion", "Properties": {"ContentUri": "layer/"}},
            "Plain": {"Type": "AWS::Lambda::Function", "Properties": {"Code": "plain/"}},
        }
    }
    arts = {
        k: Artifact(k, "function", Path("x.zip"), "ab", 1, "bkt", f"p/{k}.zip")
        for k in ("Fn", "Layer", "Plain")
    }
    out = with_artifacts(template, arts)
    assert out["Resources"]["Fn"]["Properties"]["CodeUri"] == "s3://bkt/p/Fn.zip"
    assert out["Resources"]["Layer"]["Properties"]["ContentUri"] == "s3://bkt/p/Layer.zip"
    assert out["Resources"]["Plain"]["Properties"]["Code"] == {"S3Bucket": "bkt", "S3Key": "p/Plain.zip"}
    assert template["Resources"]["Fn"]["Properties"]["CodeUri"] == "src/"  # the source is not changed
    assert canonical(template_text(out)) == canonical(out)


BAD_TEMPLATE = textwrap.dedent(
    """\
    AWSTemplateFormatVersion: "2010-09-09"
    Resources:
      Queue:
        Type: AWS::SQS::Queue
        Properties:
          VisibilityTimeout: 60
          NotAProperty: 1
    """
)


def test_cfn_lint_findings_carry_line_and_column(tmp_path: Path) -> None:
    found = lint_text(BAD_TEMPLATE)
    errors = [d for d in found if d.severity == Severity.ERROR]
    assert errors and "NotAProperty" in errors[0].message
    assert (errors[0].line, errors[0].column) == (7, 7)
    path = tmp_path / "template.yaml"
    path.write_text(BAD_TEMPLATE)
    cached = lint_template(path, region="us-east-1", cache_dir=tmp_path)
    assert [(d.line, d.column, d.code) for d in cached] == [(d.line, d.column, d.code) for d in found]
    assert lint_template(path, region="us-east-1", cache_dir=tmp_path) == cached  # from the cache now
    assert lint_text(BAD_TEMPLATE.replace("      NotAProperty: 1\n", "")) == []


def test_image_function_without_image_uri_is_refused_before_any_build(tmp_path: Path) -> None:
    from app.deploy.stack.build import build_artifacts
    from app.deploy.stack.template import load_source_template
    from app.project.loader import load_project

    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Img:\n    Type: AWS::Serverless::Function\n"
        "    Properties:\n      PackageType: Image\n    Metadata:\n      Dockerfile: Dockerfile\n"
    )
    project = load_project(tmp_path)
    resources = load_source_template(tmp_path / "template.yaml")["Resources"]
    with pytest.raises(DeployError, match="Img is a container image function without an ImageUri"):
        build_artifacts(project, resources, bucket="b", prefix="p", cache_dir=tmp_path / "cache")


@pytest.mark.parametrize("name", ["../etc", "1stack", "has space", "x" * 129, ""])
def test_a_stack_name_cloudformation_refuses_is_refused_before_anything(tmp_path: Path, name: str) -> None:
    from app.deploy.stack.model import StackOptions
    from app.deploy.stack.operations import prepare

    opts = StackOptions(stack_name=name, cache_dir=tmp_path)
    with pytest.raises(DeployError, match="not a stack name CloudFormation accepts") as info:
        prepare(None, tmp_path, opts)  # type: ignore[arg-type]  # never reaches the connection
    assert info.value.kind == "invalid"

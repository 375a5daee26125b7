"""Loading projects: resource kinds, SAM semantics, nested applications and plain folders."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from app.project.loader import ProjectLoadError, load_project
from app.project.model import Project
from tests.conftest import EXAMPLE

HANDLER = "def handler(event, context):\n    return event\n"


def make(
    tmp_path: Path, template: str, files: dict[str, str] | None = None, name: str = "template.yaml"
) -> Path:
    (tmp_path / name).write_text(textwrap.dedent(template))
    for rel, text in (files or {"src/app.py": HANDLER}).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def codes(project: Project) -> list[str]:
    return sorted(d.code for d in project.all_diagnostics)


def test_example_project_loads_cleanly() -> None:
    project = load_project(EXAMPLE)
    assert [f.logical_id for f in project.functions] == ["HelloFunction", "OrdersFunction"]
    assert project.all_diagnostics == []
    hello = project.function("HelloFunction")
    assert hello is not None
    assert hello.function_name == "hello-sam-dev-hello"
    assert hello.memory_size == 256 and hello.timeout == 10
    assert hello.environment["LOG_LEVEL"] == "DEBUG"
    assert hello.environment["GREETING"] == "Hello"
    assert [layer.logical_id for layer in hello.layers] == ["CommonLayer"]
    assert hello.layers[0].content_dir == EXAMPLE / "layers" / "common"
    assert hello.handler_file == EXAMPLE / "src" / "hello" / "app.py"
    assert (hello.line, hello.column) == (43, 3)
    orders = project.function("OrdersFunction")
    assert orders is not None and orders.memory_size == 512 and orders.timeout == 30
    assert [(e.name, e.type) for e in orders.events] == [("Orders", "SQS")]
    assert project.function("hello-sam-dev-hello") is hello


def test_samconfig_overrides_parameters_and_explicit_overrides_win(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        """
        Parameters:
          Stage: {Type: String, Default: dev}
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: src, Handler: app.handler, Runtime: python3.12,
                         Environment: {Variables: {STAGE: !Ref Stage, REGION: !Ref "AWS::Region",
                                                   STACK: !Sub "${AWS::StackName}"}}}
        """,
    )
    (root / "samconfig.toml").write_text(
        '[default.deploy.parameters]\nstack_name = "st"\nregion = "ap-south-1"\nparameter_overrides = "Stage=qa"\n'
    )
    env = load_project(root).functions[0].environment
    assert env == {"STAGE": "qa", "REGION": "ap-south-1", "STACK": "st"}
    env = (
        load_project(root, parameter_overrides={"Stage": "prod"}, region="us-west-2").functions[0].environment
    )
    assert env["STAGE"] == "prod" and env["REGION"] == "us-west-2"


def test_serverless_code_locations(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        """
        Resources:
          Path:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: src/, Handler: app.handler, Runtime: python3.12}
          S3Dict:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: {Bucket: b, Key: k.zip}, Handler: app.handler, Runtime: python3.12}
          S3Url:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: s3://b/k.zip, Handler: app.handler, Runtime: python3.12}
          Inline:
            Type: AWS::Serverless::Function
            Properties: {InlineCode: "def handler(e, c): return 1", Handler: index.handler, Runtime: python3.12}
          Image:
            Type: AWS::Serverless::Function
            Properties: {PackageType: Image, ImageUri: repo/img:1}
          Built:
            Type: AWS::Serverless::Function
            Properties: {PackageType: Image}
            Metadata: {Dockerfile: Dockerfile, DockerContext: ./src, DockerTag: v1}
        """,
    )
    fns = {f.logical_id: f for f in load_project(root).functions}
    assert fns["Path"].code_dir == root / "src"
    assert fns["S3Dict"].code_s3 == {"Bucket": "b", "Key": "k.zip"} and fns["S3Dict"].code_dir is None
    assert fns["S3Url"].code_s3 == {"Bucket": "b", "Key": "k.zip"}
    assert fns["Inline"].inline_code == "def handler(e, c): return 1"
    assert fns["Image"].package_type == "Image" and fns["Image"].image_uri == "repo/img:1"
    assert fns["Built"].image_metadata == {
        "Dockerfile": "Dockerfile",
        "DockerContext": "./src",
        "DockerTag": "v1",
    }
    assert fns["Built"].code_dir == root / "src"
    assert all(not f.diagnostics for f in fns.values()), [f.diagnostics for f in fns.values()]


def test_lambda_function_resources_get_no_globals(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        """
        Globals:
          Function: {Timeout: 30}
        Resources:
          Local:
            Type: AWS::Lambda::Function
            Properties: {Code: src, Handler: app.handler, Runtime: python3.12, Role: arn:aws:iam::1:role/r,
                         EphemeralStorage: {Size: 1024}, LoggingConfig: {LogFormat: JSON}}
          Zip:
            Type: AWS::Lambda::Function
            Properties: {Code: {ZipFile: "def handler(e, c): pass"}, Handler: index.handler, Runtime: python3.12}
          S3:
            Type: AWS::Lambda::Function
            Properties: {Code: {S3Bucket: b, S3Key: k}, Handler: index.handler, Runtime: python3.12}
        """,
    )
    fns = {f.logical_id: f for f in load_project(root).functions}
    assert fns["Local"].code_dir == root / "src" and fns["Local"].timeout == 3
    assert fns["Local"].ephemeral_storage == 1024 and fns["Local"].logging_config == {"LogFormat": "JSON"}
    assert fns["Local"].role == "arn:aws:iam::1:role/r"
    assert fns["Zip"].inline_code == "def handler(e, c): pass"
    assert fns["S3"].code_s3 == {"Bucket": "b", "Key": "k"}


def test_layers_local_and_arn(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        """
        Resources:
          SamLayer:
            Type: AWS::Serverless::LayerVersion
            Properties: {ContentUri: layers/a}
          CfnLayer:
            Type: AWS::Lambda::LayerVersion
            Properties: {Content: layers/b, LayerName: bee}
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Handler: app.handler
              Runtime: python3.12
              Layers: [!Ref SamLayer, !Ref CfnLayer, !Sub "arn:aws:lambda:${AWS::Region}:999:layer:x:3"]
        """,
        {"src/app.py": HANDLER, "layers/a/python/a.py": "", "layers/b/python/b.py": ""},
    )
    fn = load_project(root).functions[0]
    assert [(layer.logical_id, layer.content_dir) for layer in fn.layers[:2]] == [
        ("SamLayer", root / "layers" / "a"),
        ("CfnLayer", root / "layers" / "b"),
    ]
    assert fn.layers[1].name == "bee"
    assert fn.layers[2].arn == "arn:aws:lambda:us-east-1:999:layer:x:3" and fn.layers[2].content_dir is None


def test_nested_application_with_parameters(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        """
        Resources:
          Child:
            Type: AWS::Serverless::Application
            Properties:
              Location: child/template.yaml
              Parameters: {Mem: 1024}
          Remote:
            Type: AWS::Serverless::Application
            Properties:
              Location: {ApplicationId: arn:aws:serverlessrepo:us-east-1:1:applications/x, SemanticVersion: 1.0.0}
        """,
        {
            "child/template.yaml": textwrap.dedent(
                """
                Parameters:
                  Mem: {Type: Number, Default: 128}
                Resources:
                  Worker:
                    Type: AWS::Serverless::Function
                    Properties: {CodeUri: src, Handler: app.handler, Runtime: python3.12, MemorySize: !Ref Mem}
                """
            ),
            "child/src/app.py": HANDLER,
        },
    )
    project = load_project(root)
    assert [f.logical_id for f in project.functions] == ["Child/Worker"]
    assert project.functions[0].memory_size == 1024
    assert project.functions[0].code_dir == root / "child" / "src"
    assert project.templates == [root / "template.yaml", root / "child" / "template.yaml"]
    assert project.function("Child/Worker") is project.functions[0]


def test_nested_application_that_includes_itself(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        """
        Resources:
          Me:
            Type: AWS::Serverless::Application
            Properties: {Location: ./template.yaml}
        """,
    )
    assert codes(load_project(root)) == ["nesting"]


def test_plain_folder_without_template(tmp_path: Path) -> None:
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "orders.py").write_text("def on_order(event, context):\n    return 1\n")
    (tmp_path / "main.py").write_text(
        "def lambda_handler(event, context):\n    pass\n\ndef helper(x):\n    pass\n"
    )
    (tmp_path / "broken.py").write_text("def (:\n")
    (tmp_path / "test_x.py").write_text("def test(event, context):\n    pass\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "lib.py").write_text("def handler(event, context):\n    pass\n")
    project = load_project(tmp_path)
    assert [f.handler for f in project.functions] == ["handlers/orders.on_order", "main.lambda_handler"]
    fn = project.functions[1]
    assert fn.runtime == f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert (fn.memory_size, fn.timeout, fn.code_dir, fn.line) == (128, 3, tmp_path, 1)
    assert fn.handler_file == tmp_path / "main.py"


def test_template_file_path_is_accepted(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: src, Handler: app.handler, Runtime: python3.12}
        """,
        name="other.yaml",
    )
    assert [f.logical_id for f in load_project(root / "other.yaml").functions] == ["Fn"]


def test_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(ProjectLoadError, match="no such file"):
        load_project(tmp_path / "nope")


def test_condition_false_is_a_warning(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        """
        Parameters: {Stage: {Type: String, Default: dev}}
        Conditions: {IsProd: !Equals [!Ref Stage, prod]}
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Condition: IsProd
            Properties: {CodeUri: src, Handler: app.handler, Runtime: python3.12}
        """,
    )
    assert codes(load_project(root)) == ["condition-false"]

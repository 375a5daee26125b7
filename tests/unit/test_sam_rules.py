"""SAM's Globals merge, parameter values and samconfig.toml overrides."""

from __future__ import annotations

from pathlib import Path

from app.project.sam import (
    SamConfig,
    apply_function_globals,
    merge_globals,
    parameter_values,
    parse_parameter_overrides,
)


def test_scalars_are_overridden_by_the_resource() -> None:
    assert merge_globals(128, 512) == 512
    assert merge_globals("python3.11", "python3.12") == "python3.12"


def test_maps_merge_key_by_key_recursively() -> None:
    g = {"Variables": {"A": "1", "B": "2"}}
    local = {"Variables": {"B": "x", "C": "3"}}
    assert merge_globals(g, local) == {"Variables": {"A": "1", "B": "x", "C": "3"}}


def test_lists_put_global_entries_first() -> None:
    assert merge_globals(["g1", "g2"], ["l1"]) == ["g1", "g2", "l1"]


def test_intrinsics_count_as_scalars() -> None:
    assert merge_globals({"Ref": "A"}, {"X": 1}) == {"X": 1}
    assert merge_globals({"X": 1}, {"Fn::If": ["C", 1, 2]}) == {"Fn::If": ["C", 1, 2]}


def test_only_supported_global_properties_apply() -> None:
    merged = apply_function_globals({"Timeout": 9, "Events": {"X": {}}}, {"Handler": "a.b"})
    assert merged == {"Timeout": 9, "Handler": "a.b"}


def test_parameter_overrides_forms() -> None:
    assert parse_parameter_overrides('A=1 B="two words" C=') == {"A": "1", "B": "two words", "C": ""}
    assert parse_parameter_overrides(["A=1", "B=2"]) == {"A": "1", "B": "2"}
    assert parse_parameter_overrides("ParameterKey=K,ParameterValue=V") == {"K": "V"}


def test_parameter_values_defaults_types_and_problems() -> None:
    section = {
        "Stage": {"Type": "String", "Default": "dev", "AllowedValues": ["dev", "prod"]},
        "Mem": {"Type": "Number", "Default": 256},
        "Subnets": {"Type": "CommaDelimitedList", "Default": "a, b"},
        "NoDefault": {"Type": "String"},
    }
    values, problems = parameter_values(section, {"Stage": "qa"})
    assert values == {"Stage": "qa", "Mem": "256", "Subnets": ["a", "b"]}
    names = sorted(name for name, _ in problems)
    assert names == ["NoDefault", "Stage"]


def test_samconfig_reads_default_environment(tmp_path: Path) -> None:
    (tmp_path / "samconfig.toml").write_text(
        'version = 0.1\n[default.global.parameters]\nstack_name = "s1"\n'
        '[default.deploy.parameters]\nregion = "eu-central-1"\nparameter_overrides = "Stage=prod X=1"\n'
        '[default.local_invoke.parameters]\nparameter_overrides = ["X=2"]\n'
        '[staging.deploy.parameters]\nparameter_overrides = "Stage=staging"\n'
    )
    config, problem = SamConfig.load(tmp_path)
    assert problem is None
    assert (config.stack_name, config.region) == ("s1", "eu-central-1")
    assert config.parameter_overrides == {"Stage": "prod", "X": "2"}
    staging, _ = SamConfig.load(tmp_path, "staging")
    assert staging.parameter_overrides == {"Stage": "staging"}


def test_broken_samconfig_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "samconfig.toml").write_text("[default\n")
    config, problem = SamConfig.load(tmp_path)
    assert problem and "samconfig.toml ignored" in problem
    assert config.parameter_overrides == {}

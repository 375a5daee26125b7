"""SAM CLI's ``--env-vars`` file: reading it and applying it to a function's declared variables."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runner.result import SetupError


def apply_env_vars(
    environment: Mapping[str, str], env_vars: Mapping[str, Any] | None, function_id: str, function_name: str
) -> dict[str, str]:
    """SAM ``--env-vars`` semantics: ``Parameters`` then the function's own section (by logical id or
    name) override variables the template declares; variables it does not declare are ignored, as SAM does."""
    out = dict(environment)
    if not env_vars:
        return out
    sections = [env_vars.get("Parameters"), env_vars.get(function_name), env_vars.get(function_id)]
    for section in sections:
        if isinstance(section, Mapping):
            for key, value in section.items():
                if key in out:
                    out[key] = "" if value is None else str(value)
    return out


def load_env_vars_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Reads a SAM ``--env-vars`` JSON file; raises SetupError with what is wrong."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SetupError(f"cannot read env-vars file {path}: {exc.strerror or exc}")
    except ValueError as exc:
        raise SetupError(f"env-vars file {path} is not valid JSON: {exc}")
    if not isinstance(data, dict):
        raise SetupError(
            f'env-vars file {path} must be a JSON object like {{"FunctionId": {{"VAR": "value"}}}}'
        )
    return data

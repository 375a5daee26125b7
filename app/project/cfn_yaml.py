"""Reads CloudFormation/SAM templates (YAML or JSON) safely, keeping each node's file position."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from app.project.yaml_nodes import FN_TAGS, PosDict, PosList

# CloudFormation refuses templates over 1 MB; SAM templates before transform may be larger.
MAX_TEMPLATE_BYTES = 10 * 1024 * 1024
MAX_ALIASES = 1000
# Aliases share objects, so a small file can stand for an enormous tree ("billion laughs").
MAX_EXPANDED_NODES = 1_000_000


@dataclass(frozen=True)
class LoadProblem:
    """Why a template could not be read, with the position when the parser knows it."""

    code: str
    message: str
    line: int | None = None
    column: int | None = None


class TemplateError(Exception):
    def __init__(self, problem: LoadProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class _Loader(yaml.SafeLoader):
    """SafeLoader plus CloudFormation tags, positions, and a guard against recursive anchors."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._open_anchors: list[str] = []
        self._alias_count = 0
        self.unknown_tags: list[tuple[str, int, int]] = []

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            if event.anchor in self._open_anchors:
                raise ComposerError(
                    None, None, f"recursive anchor &{event.anchor} refers to itself", event.start_mark
                )
            self._alias_count += 1
            if self._alias_count > MAX_ALIASES:
                raise ComposerError(None, None, f"more than {MAX_ALIASES} aliases", event.start_mark)
            return super().compose_node(parent, index)
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor:
            self._open_anchors.append(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            if anchor:
                self._open_anchors.pop()

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> PosDict:
        self.flatten_mapping(node)
        mapping = PosDict()
        mapping.line, mapping.column = node.start_mark.line + 1, node.start_mark.column + 1
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                ) from None
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_pos[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            mapping.value_pos[key] = (value_node.start_mark.line + 1, value_node.start_mark.column + 1)
        return mapping

    def construct_sequence(self, node: SequenceNode, deep: bool = False) -> PosList:
        seq = PosList(self.construct_object(child, deep=True) for child in node.value)
        seq.line, seq.column = node.start_mark.line + 1, node.start_mark.column + 1
        return seq


def _construct_yaml_map(loader: _Loader, node: MappingNode) -> PosDict:
    return loader.construct_mapping(node, deep=True)


def _construct_yaml_seq(loader: _Loader, node: SequenceNode) -> PosList:
    return loader.construct_sequence(node, deep=True)


def _construct_tag(loader: _Loader, tag_suffix: str, node: Node) -> Any:
    name = FN_TAGS.get(tag_suffix)
    if isinstance(node, ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if name is None:
        loader.unknown_tags.append((tag_suffix, node.start_mark.line + 1, node.start_mark.column + 1))
        return value
    if name == "Fn::GetAtt" and isinstance(value, str):
        value = PosList(value.split(".", 1))
    out = PosDict({name: value})
    out.line, out.column = node.start_mark.line + 1, node.start_mark.column + 1
    return out


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_yaml_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_yaml_seq)
_Loader.add_multi_constructor("!", _construct_tag)


def _parse_fast(text: str) -> tuple[Any, list[tuple[str, int, int]], int] | None:
    """libyaml's one-pass reader (app/project/yaml_events.py); None leaves the text to _Loader."""
    from app.project.yaml_events import parse_events

    return parse_events(text, MAX_ALIASES)


def parse_template_text(text: str, filename: str = "template") -> tuple[Any, list[LoadProblem]]:
    """Parse template text; returns (data, warnings) or raises TemplateError. Never anything else."""
    warnings: list[LoadProblem] = []
    if filename.endswith(".json") or text.lstrip().startswith("{"):
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise TemplateError(LoadProblem("json-syntax", f"invalid JSON: {exc.msg}", exc.lineno, exc.colno))
        except RecursionError:
            raise TemplateError(LoadProblem("json-syntax", "JSON nested too deeply"))
    fast = _parse_fast(text)
    loader: _Loader | None = None
    try:
        if fast is not None:
            data, unknown_tags, aliases = fast
        else:
            loader = _Loader(text)  # the reader rejects control characters already here
            data = loader.get_single_data()
            unknown_tags, aliases = loader.unknown_tags, loader._alias_count
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "malformed YAML"
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise TemplateError(LoadProblem("yaml-syntax", f"invalid YAML: {what}", line, col))
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - text.rfind("\n", 0, exc.position)
        what = (
            f"character {chr(exc.character)!r} is not allowed" if isinstance(exc.character, int) else str(exc)
        )
        raise TemplateError(LoadProblem("yaml-syntax", f"invalid YAML: {what}", line, column))
    except yaml.YAMLError as exc:
        raise TemplateError(LoadProblem("yaml-syntax", f"invalid YAML: {exc}"))
    except RecursionError:
        raise TemplateError(LoadProblem("yaml-syntax", "invalid YAML: nested too deeply"))
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a timestamp or number PyYAML cannot build
        raise TemplateError(LoadProblem("yaml-syntax", f"invalid YAML value: {exc}"))
    finally:
        if loader is not None:
            loader.dispose()
    try:  # without aliases nothing is shared: the tree is no bigger than the text that spelled it
        too_big = aliases > 0 and _expanded_size(data, {}) > MAX_EXPANDED_NODES
    except RecursionError:
        raise TemplateError(LoadProblem("yaml-syntax", "invalid YAML: nested too deeply"))
    if too_big:
        raise TemplateError(
            LoadProblem(
                "yaml-syntax", f"invalid YAML: aliases expand to more than {MAX_EXPANDED_NODES:,} values"
            )
        )
    for tag, line, col in unknown_tags:
        warnings.append(
            LoadProblem("unknown-tag", f"unknown tag !{tag}; its value is used as written", line, col)
        )
    return data, warnings


def _expanded_size(value: Any, memo: dict[int, int]) -> int:
    """How many values the tree holds once every alias is expanded (memoised per shared object)."""
    if isinstance(value, dict):
        children: Any = list(value.values())
    elif isinstance(value, list):
        children = value
    else:
        return 1
    key = id(value)
    if key not in memo:
        memo[key] = 1 + sum(_expanded_size(child, memo) for child in children)
    return memo[key]


def load_template_file(path: Path) -> tuple[Any, list[LoadProblem]]:
    """Read and parse a template file; raises TemplateError with a clear message on any failure."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise TemplateError(LoadProblem("template-unreadable", f"cannot read {path}: {exc.strerror}"))
    if size > MAX_TEMPLATE_BYTES:
        raise TemplateError(
            LoadProblem(
                "template-too-large",
                f"template is {size / 1024 / 1024:.1f} MB; Lambda Studio reads templates up to "
                f"{MAX_TEMPLATE_BYTES // 1024 // 1024} MB (CloudFormation itself accepts 1 MB)",
            )
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TemplateError(LoadProblem("template-unreadable", f"cannot read {path}: {exc.strerror}"))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TemplateError(
            LoadProblem("template-encoding", f"template is not UTF-8 text (byte {exc.start})")
        )
    return parse_template_text(text, path.name)


def position(container: Any, key: Any = None) -> tuple[int | None, int | None]:
    """The (line, column) of a key in a parsed mapping, or of the container itself."""
    if key is not None and isinstance(container, PosDict) and key in container.key_pos:
        return container.key_pos[key]
    return getattr(container, "line", None), getattr(container, "column", None)


def value_position(container: Any, key: Any) -> tuple[int | None, int | None]:
    """The (line, column) of the value under key, falling back to the key's or container's."""
    if isinstance(container, PosDict) and key in container.value_pos:
        return container.value_pos[key]
    return position(container, key)

"""A one-pass template reader over libyaml's events: positions kept, no node graph, several times faster.

It builds exactly what cfn_yaml's guarded pure-Python loader builds (PosDict, PosList, tags,
positions) for ordinary templates; anything unusual (merge keys, recursive or excessive aliases,
complex keys, explicit collection tags, several documents, errors) returns None so that the
pure-Python loader decides, with its own messages.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import ScalarNode

from app.project.yaml_nodes import FN_TAGS, PosDict, PosList

STR = "tag:yaml.org,2002:str"
MERGE = "tag:yaml.org,2002:merge"
PLAIN_COLLECTION_TAGS = (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
Position = tuple[int, int]
_NO_KEY = object()


class _Unsupported(Exception):
    """Left to the guarded pure-Python loader."""


class _Frame:
    """A mapping or sequence being filled, and where it started."""

    __slots__ = ("container", "is_map", "tag", "anchor", "pos", "key", "key_pos")

    def __init__(self, container: Any, is_map: bool, tag: str | None, anchor: str | None, pos: Position):
        self.container = container
        self.is_map = is_map
        self.tag = tag
        self.anchor = anchor
        self.pos = pos
        self.key: Any = _NO_KEY
        self.key_pos: Position = (0, 0)


def parse_events(text: str, max_aliases: int) -> tuple[Any, list[tuple[str, int, int]], int] | None:
    """(data, unknown tags, aliases used) read through libyaml, or None when the guarded loader must decide."""
    if not yaml.__with_libyaml__:
        return None
    loader = yaml.CSafeLoader(text)  # the C parser, plus the safe scalar constructors and resolver
    try:
        return _build(loader, max_aliases)
    except (_Unsupported, yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError):
        return None
    finally:
        loader.dispose()


def _build(loader: Any, max_aliases: int) -> tuple[Any, list[tuple[str, int, int]], int]:
    unknown: list[tuple[str, int, int]] = []
    anchors: dict[str, tuple[Any, Position]] = {}
    aliases = 0
    stack: list[_Frame] = []
    get = loader.get_event
    if not isinstance(get(), StreamStartEvent):
        raise _Unsupported
    first = get()
    if isinstance(first, StreamEndEvent):
        return None, unknown, 0
    if not isinstance(first, DocumentStartEvent):
        raise _Unsupported
    result: Any = None
    plain: dict[str, Any] = {}  # plain scalar text -> its value: templates repeat the same words a lot
    while True:
        ev = get()
        kind = type(ev)
        if kind is ScalarEvent or kind is MappingStartEvent or kind is SequenceStartEvent:
            mark = ev.start_mark
            pos = (mark.line + 1, mark.column + 1)
            anchor = ev.anchor
            if anchor is not None and anchor in anchors:
                raise _Unsupported  # a duplicate anchor: the guarded loader refuses it
        if kind is ScalarEvent:
            if ev.tag is None and ev.implicit[0]:
                text = ev.value
                try:
                    value = plain[text]
                except KeyError:
                    value = plain[text] = _scalar(loader, ev, pos, unknown)
                if value.__class__ is not str and value.__class__ not in _IMMUTABLE:
                    value = _scalar(loader, ev, pos, unknown)  # a mutable value (a date...): never shared
            elif ev.tag is None:
                value = ev.value  # quoted or block text: always a string
            else:
                value = _scalar(loader, ev, pos, unknown)
            if anchor is not None:
                anchors[anchor] = (value, pos)
        elif kind is AliasEvent:
            aliases += 1
            if aliases > max_aliases or ev.anchor not in anchors:
                raise _Unsupported  # too many, or recursive: the guarded loader explains which
            value, pos = anchors[ev.anchor]  # like the node graph: the anchored value and its place
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            is_map = kind is MappingStartEvent
            tag = ev.tag
            if tag in PLAIN_COLLECTION_TAGS:
                tag = None
            elif not tag.startswith("!") or tag.startswith("!!"):
                raise _Unsupported  # !!omap, !!set and friends
            container = PosDict() if is_map else PosList()
            container.line, container.column = pos
            stack.append(_Frame(container, is_map, tag, anchor, pos))
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            frame = stack.pop()
            value, pos = frame.container, frame.pos
            if frame.key is not _NO_KEY:
                raise _Unsupported
            if frame.tag is not None:
                value = _tagged(frame.tag[1:], value, pos, unknown)
            if frame.anchor:
                anchors[frame.anchor] = (value, pos)
        elif kind is DocumentEndEvent:
            if not isinstance(get(), StreamEndEvent):
                raise _Unsupported  # several documents
            return result, unknown, aliases
        else:
            raise _Unsupported
        if not stack:
            result = value
            continue
        parent = stack[-1]
        if not parent.is_map:
            parent.container.append(value)
        elif parent.key is _NO_KEY:
            hash(value)  # TypeError for a mapping or list used as a key: the guarded loader explains
            parent.key, parent.key_pos = value, pos
        else:
            mapping = parent.container
            key = parent.key
            mapping[key] = value
            mapping.key_pos[key] = parent.key_pos
            mapping.value_pos[key] = pos
            parent.key = _NO_KEY


_IMMUTABLE = (int, float, bool, type(None))


def _scalar(loader: Any, ev: Any, pos: Position, unknown: list[tuple[str, int, int]]) -> Any:
    tag = ev.tag
    if tag is None or tag == "!":
        tag = loader.resolve(ScalarNode, ev.value, ev.implicit)
    elif tag.startswith("!") and not tag.startswith("!!"):
        return _tagged(tag[1:], ev.value, pos, unknown)
    if tag == STR:
        return ev.value
    if tag == MERGE:
        raise _Unsupported
    construct = loader.yaml_constructors.get(tag)
    if construct is None:
        raise _Unsupported
    return construct(loader, ScalarNode(tag, ev.value, ev.start_mark, ev.end_mark, ev.style))


def _tagged(suffix: str, value: Any, pos: Position, unknown: list[tuple[str, int, int]]) -> Any:
    """A short-form CloudFormation tag as its long form ({"Fn::Sub": ...}); an unknown one as written."""
    name = FN_TAGS.get(suffix)
    if name is None:
        unknown.append((suffix, *pos))
        return value
    if name == "Fn::GetAtt" and isinstance(value, str):
        value = PosList(value.split(".", 1))
    out = PosDict({name: value})
    out.line, out.column = pos
    return out

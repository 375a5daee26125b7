"""A project's saved events: `events/<FunctionId>/<name>.json`, written atomically, deleted to a trash."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app import fsutil
from app.events.catalog import EventTemplate
from runner.errors import UserFacingError

EVENTS_DIR = "events"
TRASH_DIR = Path(".lambda-studio") / "trash" / "events"  # where older versions kept it, in the project


def default_trash_dir(project_root: Path | str) -> Path:
    """Deleted events of a project, kept per user outside the project (never untracked files in its repo)."""
    import hashlib

    from app.settings import config_dir

    digest = hashlib.sha256(str(Path(project_root).resolve()).encode()).hexdigest()[:16]
    return config_dir() / "trash" / digest / "events"


SUFFIX = ".json"
MAX_NAME = 100
_BAD_CHARS = re.compile(r'[\x00-\x1f<>:"/\\|?*]')
# Device names Windows reserves whatever the case and extension (aux.txt is AUX): Microsoft's list,
# with COM0/LPT0 and the superscript digits it now names too.
_RESERVED = re.compile(
    r"(?i)^(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3])(\..*)?$"
)
# What fsutil.atomic_write (and this store before it) names its temporary files.
_TEMP_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]+\.tmp$")
STALE_TEMP_SECONDS = 60.0


class EventStoreError(UserFacingError, ValueError):
    """Something the user asked of the store cannot be done; the message says why."""


class EventNameError(EventStoreError):
    """A name (of an event or a function folder) that could escape the folder or is not portable."""


class EventNotFoundError(EventStoreError):
    """No saved event (or trash entry) by that name."""


class EventExistsError(EventStoreError):
    """The target name is taken and overwriting was not asked for."""


class InvalidEventJSONError(EventStoreError):
    """The text is not JSON; `line` and `column` are 1-based, as editors count."""

    def __init__(self, message: str, line: int, column: int, source: str = "") -> None:
        where = f"{source}:" if source else ""
        super().__init__(f"{where}{line}:{column}: invalid JSON: {message}")
        self.line = line
        self.column = column
        self.reason = message


@dataclass(frozen=True)
class SavedEvent:
    """One event file; `function_id` is None for project-wide events (SAM's `events/event.json`)."""

    function_id: str | None
    name: str
    path: Path

    @property
    def label(self) -> str:
        return f"{self.function_id}/{self.name}" if self.function_id else self.name


@dataclass(frozen=True)
class TrashedEvent:
    """A deleted event kept in `.lambda-studio/trash/events/<trash_id>/` until restored or purged."""

    trash_id: str
    function_id: str | None
    name: str
    deleted_at: str
    path: Path


def validate_name(name: str, what: str = "event name") -> str:
    """Return the name without a `.json` suffix, or raise EventNameError saying what is wrong with it."""
    if not isinstance(name, str):
        raise EventNameError(f"{what} must be text")
    base = name[: -len(SUFFIX)] if name.lower().endswith(SUFFIX) else name
    if not base.strip():
        raise EventNameError(f"{what} is empty")
    if base in (".", "..") or ".." in base:
        raise EventNameError(f"{what} {name!r} may not contain '..'")
    if "/" in base or "\\" in base:
        raise EventNameError(f"{what} {name!r} may not contain a path separator")
    if _BAD_CHARS.search(base):
        raise EventNameError(f"{what} {name!r} contains a character not allowed in file names")
    if base.startswith(".") or base != base.strip():
        raise EventNameError(f"{what} {name!r} may not start with '.' or with/end in spaces")
    if base.endswith("."):
        raise EventNameError(f"{what} {name!r} may not end in '.': Windows drops it")
    if _RESERVED.match(base):
        raise EventNameError(
            f"{what} {name!r} is a device name Windows reserves (CON, PRN, AUX, NUL, COM1-9, LPT1-9, "
            "with any extension); choose another"
        )
    if len(base) > MAX_NAME:
        raise EventNameError(f"{what} is longer than {MAX_NAME} characters")
    return base


def parse_event_json(data: bytes | str, source: str = "") -> Any:
    """Parse event text, raising InvalidEventJSONError with the line and column of the first problem."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            before = data[: exc.start]
            line = before.count(b"\n") + 1
            column = exc.start - (before.rfind(b"\n") + 1) + 1
            raise InvalidEventJSONError("the file is not UTF-8 text", line, column, source)
    else:
        text = data[1:] if data.startswith("\ufeff") else data
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidEventJSONError(exc.msg, exc.lineno, exc.colno, source)


def atomic_write(path: Path, chunks: Iterable[bytes]) -> None:
    """Write a file so that readers see either the old content or the new, never a partial file.

    The chunks are gathered first, then app.fsutil.atomic_write puts them in a temporary file in
    the same folder, fsyncs it and renames it over the target (keeping the old file's mode; a new
    file gets the user's umask). A failure while producing the chunks touches nothing at all.
    """
    data = b"".join(chunks)
    path.parent.mkdir(parents=True, exist_ok=True)
    fsutil.atomic_write(path, data)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write(path, [data])


def sweep_stale_temps(folder: Path, older_than: float = STALE_TEMP_SECONDS) -> list[Path]:
    """Remove the temporary files of saves killed half-way (`.<name>.json.<random>.tmp`) under folder.

    Only files older than `older_than` seconds go: a save running right now elsewhere keeps its own.
    """
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    now = time.time()
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            if not _TEMP_NAME.match(name):
                continue
            path = Path(dirpath) / name
            try:
                if now - path.lstat().st_mtime > older_than:
                    path.unlink()
                    removed.append(path)
            except OSError:
                continue  # gone already, or not ours to remove: nothing is lost by leaving it
    return removed


def dump_event(event: Any) -> bytes:
    """The canonical text of an event tree: 2-space indent, UTF-8, final newline."""
    return (json.dumps(event, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


class EventStore:
    """Saved events of one project folder."""

    def __init__(self, project_root: Path | str, trash_dir: Path | None = None) -> None:
        self.root = Path(project_root)
        self.events_dir = self.root / EVENTS_DIR
        self.trash_dir = trash_dir if trash_dir is not None else default_trash_dir(self.root)
        sweep_stale_temps(self.events_dir)  # what a save killed half-way left behind

    # ----- where things are -----

    def folder(self, function_id: str | None) -> Path:
        if function_id is None:
            return self.events_dir
        # Functions of nested applications have ids like "Child/Fn": one folder level per part.
        parts = function_id.split("/") if isinstance(function_id, str) else [function_id]
        return self.events_dir.joinpath(*(validate_name(part, "function id") for part in parts))

    def path_for(self, function_id: str | None, name: str) -> Path:
        return self.folder(function_id) / f"{validate_name(name)}{SUFFIX}"

    # ----- listing and reading -----

    def list_events(self, function_id: str | None = None) -> list[SavedEvent]:
        """Events of one function (sorted by name); `None` lists the project-wide events."""
        folder = self.folder(function_id)
        if not folder.is_dir():
            return []
        found = []
        for path in sorted(folder.iterdir(), key=lambda p: p.name.lower()):
            if path.is_file() and path.suffix.lower() == SUFFIX and not path.name.startswith("."):
                found.append(SavedEvent(function_id, path.name[: -len(SUFFIX)], path))
        return found

    def function_ids(self) -> list[str]:
        """Function folders under `events/` holding events (whether or not the template still has them)."""
        return sorted({e.function_id for e in self.list_all() if e.function_id is not None})

    def list_all(self) -> list[SavedEvent]:
        """Project-wide events first, then each function's (nested ids as `Child/Fn`)."""
        result = self.list_events(None)
        if not self.events_dir.is_dir():
            return result
        for folder in sorted(p for p in self.events_dir.rglob("*") if p.is_dir()):
            rel = folder.relative_to(self.events_dir).as_posix()
            try:
                result.extend(self.list_events(rel))
            except EventNameError:
                continue  # a folder we would never have written (".git", "x y ") is not ours to show
        return result

    def exists(self, function_id: str | None, name: str) -> bool:
        return self.path_for(function_id, name).is_file()

    def load_bytes(self, function_id: str | None, name: str) -> bytes:
        path = self.path_for(function_id, name)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            where = f"function {function_id}" if function_id else "the project"
            names = ", ".join(e.name for e in self.list_events(function_id)) or "none"
            raise EventNotFoundError(f"no saved event {name!r} for {where} (saved: {names})")

    def load(self, function_id: str | None, name: str) -> Any:
        """The parsed event; raises InvalidEventJSONError if the file was hand-edited into bad JSON."""
        path = self.path_for(function_id, name)
        return parse_event_json(self.load_bytes(function_id, name), str(path))

    # ----- writing -----

    def save(
        self, function_id: str | None, name: str, data: bytes | str | Any, *, overwrite: bool = True
    ) -> SavedEvent:
        """Save text (kept byte for byte once it parses) or an event tree; bad JSON is refused."""
        if isinstance(data, bytes | str):
            raw = data.encode("utf-8") if isinstance(data, str) else data
            parse_event_json(raw, validate_name(name))
        else:
            raw = dump_event(data)
        path = self.path_for(function_id, name)
        if not overwrite and path.exists():
            raise EventExistsError(f"an event named {validate_name(name)!r} already exists")
        atomic_write_bytes(path, raw)
        return SavedEvent(function_id, validate_name(name), path)

    def create_from_template(
        self,
        function_id: str | None,
        name: str,
        template: EventTemplate,
        overrides: Mapping[str, Any] | None = None,
        *,
        overwrite: bool = False,
    ) -> SavedEvent:
        """Render a catalog template with overrides and save it under `name`."""
        return self.save(function_id, name, template.render(overrides), overwrite=overwrite)

    def rename(
        self, function_id: str | None, name: str, new_name: str, *, overwrite: bool = False
    ) -> SavedEvent:
        src = self.path_for(function_id, name)
        dst = self.path_for(function_id, new_name)
        if not src.is_file():
            self.load_bytes(function_id, name)  # raises the helpful not-found error
        if src == dst:
            return SavedEvent(function_id, validate_name(new_name), dst)
        if dst.exists() and not overwrite and not _same_file(src, dst):
            raise EventExistsError(f"an event named {validate_name(new_name)!r} already exists")
        os.replace(src, dst)
        return SavedEvent(function_id, validate_name(new_name), dst)

    def duplicate(self, function_id: str | None, name: str, new_name: str | None = None) -> SavedEvent:
        """Copy an event; without `new_name` the copy is `<name>-copy`, `<name>-copy-2`..."""
        data = self.load_bytes(function_id, name)
        if new_name is None:
            base = f"{validate_name(name)}-copy"
            new_name, n = base, 2
            while self.exists(function_id, new_name):
                new_name, n = f"{base}-{n}", n + 1
        if self.exists(function_id, new_name):
            raise EventExistsError(f"an event named {validate_name(new_name)!r} already exists")
        atomic_write_bytes(self.path_for(function_id, new_name), data)
        return SavedEvent(function_id, validate_name(new_name), self.path_for(function_id, new_name))

    def import_file(
        self, function_id: str | None, source: Path | str, name: str | None = None, *, overwrite: bool = False
    ) -> SavedEvent:
        """Copy a JSON file from anywhere into the project; the name defaults to the file's stem."""
        source = Path(source)
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise EventStoreError(f"cannot read {source}: {exc.strerror or exc}")
        parse_event_json(data, str(source))
        return self.save(function_id, name or source.stem, data, overwrite=overwrite)

    def export_file(
        self, function_id: str | None, name: str, dest: Path | str, *, overwrite: bool = True
    ) -> Path:
        """Write a saved event to a file outside the project (atomically, like every write)."""
        dest = Path(dest)
        if dest.is_dir():
            dest = dest / f"{validate_name(name)}{SUFFIX}"
        if dest.exists() and not overwrite:
            raise EventExistsError(f"{dest} already exists")
        atomic_write_bytes(dest, self.load_bytes(function_id, name))
        return dest

    # ----- delete, trash, restore -----

    def delete(self, function_id: str | None, name: str) -> TrashedEvent:
        """Move the event to the project's trash; `restore(trash_id)` brings it back."""
        src = self.path_for(function_id, name)
        if not src.is_file():
            self.load_bytes(function_id, name)
        now = datetime.now(UTC)
        trash_id = now.strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)
        entry = self.trash_dir / trash_id
        entry.mkdir(parents=True)
        deleted_at = now.isoformat()
        meta = {"function_id": function_id, "name": validate_name(name), "deleted_at": deleted_at}
        atomic_write_bytes(entry / "meta.json", dump_event(meta))
        shutil.move(src, entry / src.name)  # the trash may be on another file system
        return TrashedEvent(trash_id, function_id, validate_name(name), deleted_at, entry / src.name)

    def list_trash(self) -> list[TrashedEvent]:
        """Deleted events, newest first."""
        if not self.trash_dir.is_dir():
            return []
        found = []
        for entry in sorted(self.trash_dir.iterdir(), reverse=True):
            trashed = self._read_trash(entry)
            if trashed is not None:
                found.append(trashed)
        return found

    def restore(self, trash_id: str, *, new_name: str | None = None, overwrite: bool = False) -> SavedEvent:
        """Put a deleted event back where it was (or under `new_name`)."""
        validate_name(trash_id, "trash id")
        trashed = self._read_trash(self.trash_dir / trash_id)
        if trashed is None:
            raise EventNotFoundError(f"nothing in the trash with id {trash_id!r}")
        name = new_name or trashed.name
        dst = self.path_for(trashed.function_id, name)
        if dst.exists() and not overwrite:
            raise EventExistsError(
                f"an event named {validate_name(name)!r} exists again; restore it under another name"
            )
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(trashed.path, dst)
        shutil.rmtree(self.trash_dir / trash_id, ignore_errors=True)
        return SavedEvent(trashed.function_id, validate_name(name), dst)

    def purge_trash(self) -> int:
        """Delete the trash for good; returns how many events were dropped."""
        count = len(self.list_trash())
        shutil.rmtree(self.trash_dir, ignore_errors=True)
        return count

    def _read_trash(self, entry: Path) -> TrashedEvent | None:
        try:
            meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
            path = entry / f"{meta['name']}{SUFFIX}"
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not path.is_file():
            return None
        return TrashedEvent(
            entry.name, meta.get("function_id"), meta["name"], meta.get("deleted_at", ""), path
        )


def _same_file(a: Path, b: Path) -> bool:
    # On case-insensitive file systems renaming "Get" to "get" targets the same file.
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def load_saved_event(project_root: Path | str, function_id: str | None, name: str) -> bytes:
    """The bytes of a saved event, for `invoke --event-name`. Looks in the function's folder, then
    the project-wide events; raises EventNotFoundError / EventNameError with a readable message."""
    store = EventStore(project_root)
    if function_id is not None and store.exists(function_id, name):
        return store.load_bytes(function_id, name)
    if store.exists(None, name):
        return store.load_bytes(None, name)
    return store.load_bytes(function_id, name)

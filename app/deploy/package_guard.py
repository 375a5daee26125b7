"""What may go into a deployment zip: .lambdaignore rules, no link out of the folder, no special file, no secret."""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.deploy.errors import KIND_INVALID, DeployError

IGNORE_FILE = ".lambdaignore"

# Kernel views: regular-looking files whose content is the reading process's own state.
VIRTUAL_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))
SCAN_BYTES = 1024 * 1024  # a credential is near the top of the file that holds it
KEY_FILE_NAMES = {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk"}
_PRIVATE_KEY = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_AWS_SECRET_LINE = re.compile(rb"(?im)^\s*aws_secret_access_key\s*=\s*\S")
_ACCESS_KEY_ID = re.compile(rb"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")
_SECRET_NAME = re.compile(r"(?i)(secret|password|passwd|token|api_?key|access_?key|private_?key|credential)")
_ENV_LINE = re.compile(rb"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*(.*?)\s*$")
ALLOW_HINT = (
    "Remove the file or add it to .lambdaignore; if it really belongs in the package, deploy with "
    "--allow-secrets (or turn on the setting deploy_allow_secrets)."
)


class IgnoreRules:
    """The patterns of a .lambdaignore: gitignore-like (`dir/`, `/anchored`, `*.glob`, `!negation`)."""

    def __init__(self, lines: Sequence[str] = ()) -> None:
        self.rules: list[tuple[str, bool, bool, bool]] = []  # pattern, negate, dir_only, anchored
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            if negate:
                line = line[1:]
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            anchored = "/" in line
            line = line.lstrip("/")
            if line:
                self.rules.append((line, negate, dir_only, anchored))

    @classmethod
    def load(cls, root: Path) -> IgnoreRules:
        try:
            return cls((root / IGNORE_FILE).read_text(encoding="utf-8").splitlines())
        except OSError:
            return cls()

    def ignored(self, rel: str, is_dir: bool) -> bool:
        """True if the POSIX path `rel` (relative to the code root) is excluded; the last match wins."""
        result = False
        name = rel.rsplit("/", 1)[-1]
        for pattern, negate, dir_only, anchored in self.rules:
            if dir_only and not is_dir:
                continue
            target = rel if anchored else name
            if fnmatch.fnmatchcase(target, pattern) or (
                anchored and pattern.startswith("**/") and fnmatch.fnmatchcase(rel, pattern[3:])
            ):
                result = not negate
        return result


@dataclass(frozen=True)
class Link:
    """A symbolic link stored as a link in the zip; `target` is relative and stays inside the folder."""

    target: str


def is_virtual(path: Path) -> bool:
    """True for files under /proc, /sys or /dev, whose bytes are the state of whoever reads them."""
    return any(path == root or root in path.parents for root in VIRTUAL_ROOTS)


def refuse_virtual_folder(folder: Path, what: str) -> None:
    """A code folder that is (or resolves into) /proc, /sys or /dev is never packaged."""
    resolved = folder.resolve()
    if is_virtual(resolved):
        raise DeployError(
            f"Refused to package {what}: {folder} is a kernel file system ({resolved}).",
            "Point CodeUri at a folder of your project.",
            KIND_INVALID,
        )


def link_entry(root: Path, path: Path) -> Link:
    """The link at `path` as a Link, or a DeployError naming it when it leads out of `root` (or nowhere)."""
    try:
        raw = os.readlink(path)
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        reason = getattr(exc, "strerror", None) or "it loops"
        raise DeployError(
            f"Refused to package {path}: it is a symbolic link that cannot be followed ({reason}).",
            "Remove the link or add it to .lambdaignore.",
            KIND_INVALID,
        ) from exc
    real_root = root.resolve()
    if resolved != real_root and real_root not in resolved.parents:
        raise DeployError(
            f"Refused to package {path}: it is a symbolic link to {raw}, outside the code folder {root}.",
            "Lambda Studio never follows a link out of the code folder: copy the file in, or add the link "
            "to .lambdaignore.",
            KIND_INVALID,
        )
    rel = os.path.relpath(resolved, path.parent.resolve())
    return Link(Path(rel).as_posix())


def special_file_problem(path: Path, mode: int) -> DeployError:
    kind = (
        "a named pipe (FIFO)" if stat.S_ISFIFO(mode)
        else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket" if stat.S_ISSOCK(mode)
        else "not a regular file"
    )  # fmt: skip
    return DeployError(
        f"Refused to package {path}: it is {kind}.",
        "Only regular files, folders and links inside the code folder go into a package; "
        "remove it or add it to .lambdaignore.",
        KIND_INVALID,
    )


def unreadable(path: Path, exc: OSError) -> DeployError:
    """The message for a file the deploy cannot read: its name and the system's reason."""
    return DeployError(
        f"Cannot read {path}: {exc.strerror or exc}.",
        "Fix the file's permissions, or add it to .lambdaignore to leave it out of the package.",
        KIND_INVALID,
    )


def _env_secret(head: bytes) -> str | None:
    for number, line in enumerate(head.splitlines(), 1):
        m = _ENV_LINE.match(line)
        if not m or not m.group(2).strip(b"'\""):
            continue
        name = m.group(1).decode("ascii", "replace")
        if _SECRET_NAME.search(name) or _ACCESS_KEY_ID.search(m.group(2)):
            return f"line {number} sets {name}"
    return None


def secret_reason(name: str, path: Path) -> str | None:
    """Why the file at zip name `name` looks like a credential, or None."""
    parts = name.split("/")
    base = parts[-1]
    if base in KEY_FILE_NAMES:
        return "it is an SSH private key file"
    if base == "credentials" and len(parts) > 1 and parts[-2] == ".aws":
        return "it is an AWS credentials file"
    try:
        with path.open("rb") as f:
            head = f.read(SCAN_BYTES)
    except OSError as exc:
        raise unreadable(path, exc) from exc
    if _PRIVATE_KEY.search(head):
        return "it holds a private key (-----BEGIN ... PRIVATE KEY-----)"
    if base == ".env" or base.startswith(".env.") or base.endswith(".env"):
        found = _env_secret(head)
        if found:
            return f"it is an environment file holding a secret ({found})"
    elif _AWS_SECRET_LINE.search(head):
        return "it holds an aws_secret_access_key"
    elif _ACCESS_KEY_ID.search(head) and base.endswith((".ini", ".cfg", ".conf", ".json", ".yaml", ".yml")):
        return "it holds an AWS access key id"
    return None


def find_secrets(entries: Mapping[str, object]) -> list[tuple[str, str]]:
    """(zip name, reason) for every file among `entries` that looks like a credential."""
    found = []
    for name, src in sorted(entries.items()):
        if isinstance(src, Path):
            reason = secret_reason(name, src)
            if reason:
                found.append((name, reason))
    return found


def refuse_secrets(label: str, entries: Mapping[str, object]) -> None:
    """Raise a DeployError naming each credential-looking file (and why) among the entries."""
    found = find_secrets(entries)
    if found:
        listed = "; ".join(f"{name} ({reason})" for name, reason in found)
        raise DeployError(
            f"Refused to package {label}: {listed}. Uploading it would publish the secret.",
            ALLOW_HINT,
            KIND_INVALID,
        )


def outside_project(folder: Path | None, project_root: Path | None) -> str | None:
    """A loud warning when a code folder lies outside the project folder, else None."""
    if folder is None or project_root is None:
        return None
    f, root = folder.resolve(), project_root.resolve()
    if f == root or root in f.parents:
        return None
    return (
        f"WARNING: the code folder {f} is outside the project folder {root}: everything in it "
        "will be uploaded. Check CodeUri/ContentUri."
    )

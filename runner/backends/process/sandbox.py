"""The process backend's sandbox: a runtime under bubblewrap namespaces on Linux, or a plain process and a note.

The process backend is not isolation: a sandboxed runtime still shares the kernel and the network,
and reads the host's system folders. The container backend is the isolated one. What bubblewrap
adds (docs/sandbox.md): its own user, mount, pid, IPC and UTS namespaces; a read-only view of only
the system folders (/usr, /bin, /sbin, /lib*, /etc), the interpreter and the function's own folders
(code, layers, dependencies), so the home, /root, /var, /srv, /mnt, /media, /run, /opt and the
host's /tmp are not there; a private, size-limited /tmp; a /proc that shows only the sandbox's own
processes (so no parent's environment); the usual credential folders, the docker socket and the AWS
config files hidden where a bound folder would show them; no capabilities; and the whole sandbox
killed when its pid-1 or the app goes away.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SANDBOX_ENV = "LAMBDA_STUDIO_SANDBOX"  # "off": run the process backend's runtimes unsandboxed
NOT_ISOLATION = (
    "The process backend is not isolation (it shares your kernel, network and readable files); "
    "the container backend is."
)
INSTALL_HINT = "install bubblewrap (scripts/sandbox-tools.sh, or: sudo apt-get install bubblewrap)"
# Under the home folder: where credentials usually live. Hidden by an empty tmpfs (folders) or
# /dev/null (files); a read-only root would still let the function read them.
HOME_SECRETS = (
    ".aws",
    ".ssh",
    ".gnupg",
    ".docker",
    ".kube",
    ".azure",
    ".config/gcloud",
    ".netrc",
    ".pgpass",
    ".git-credentials",
)
SOCKETS = ("/run/docker.sock", "/var/run/docker.sock")
# Secrets in /etc that a runtime started by root could otherwise read (host keys are matched by name).
ETC_SECRETS = (
    "/etc/shadow",
    "/etc/shadow-",
    "/etc/gshadow",
    "/etc/gshadow-",
    "/etc/sudoers",
    "/etc/ssl/private",
)
# What the sandbox shows of the host's system (read-only): programs, libraries and configuration.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
ETC_LINKS = ("resolv.conf", "hosts", "localtime", "ssl/certs/ca-certificates.crt", "nsswitch.conf")


@dataclass(frozen=True)
class Sandbox:
    """How to start one runtime: a command prefix ([] when unsandboxed) and what to tell the user once."""

    prefix: tuple[str, ...]
    note: str

    @property
    def active(self) -> bool:
        return bool(self.prefix)


def _secret_paths(env: Mapping[str, str]) -> list[Path]:
    home = env.get("HOME") or str(Path.home())
    paths = [Path(home) / rel for rel in HOME_SECRETS]
    for var in ("AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"):
        if env.get(var):
            paths.append(Path(env[var]))
    paths += [Path(p) for p in SOCKETS]
    paths += [Path(p) for p in ETC_SECRETS]
    paths += sorted(Path("/etc/ssh").glob("ssh_host_*_key"))
    host = env.get("DOCKER_HOST", "")
    if host.startswith("unix://"):
        paths.append(Path(host[len("unix://") :]))
    return paths


def bwrap_args(
    bwrap: str,
    ro_dirs: Sequence[Path],
    *,
    tmp_mb: int = 512,
    env: Mapping[str, str] | None = None,
) -> list[str]:
    """The bubblewrap command line (up to and including ``--``) for one runtime."""
    env = os.environ if env is None else env
    args = [bwrap, "--die-with-parent", "--new-session"]
    args += ["--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    args += _system_view()
    shown = [os.path.realpath(d) for d in SYSTEM_DIRS if os.path.isdir(d)]
    args += ["--dev", "/dev", "--proc", "/proc"]
    args += ["--size", str(tmp_mb * 1024 * 1024), "--tmpfs", "/tmp"]
    home = os.path.realpath(env.get("HOME") or str(Path.home()))
    for d in ro_dirs:  # the function's own folders (code, layers, dependencies, the interpreter)
        real = os.path.realpath(d)
        covered = [home, "/tmp", "/proc", "/dev"]
        if real == "/" or any(c == real or c.startswith(real.rstrip("/") + "/") for c in covered):
            continue  # would show the whole home, or undo the private /tmp, /proc or /dev
        if not os.path.exists(real):
            continue
        args += ["--ro-bind", real, real]
        shown.append(real)
        given = os.path.abspath(d)
        if given != real and not any(c == given or c.startswith(given.rstrip("/") + "/") for c in covered):
            args += ["--ro-bind", real, given]  # reached through a link (maybe in the hidden home)
            shown.append(given)
    hidden: set[str] = set()
    for path in _secret_paths(env):
        real = os.path.realpath(path)  # a link is hidden where it points
        if real in hidden or not any(real == d or real.startswith(d.rstrip("/") + "/") for d in shown):
            continue  # not in the sandbox's view anyway
        try:
            if os.path.isdir(real):
                args += ["--tmpfs", real]
            elif os.path.exists(real):
                args += ["--ro-bind", "/dev/null", real]
            else:
                continue
        except OSError:
            continue
        hidden.add(real)
    if os.geteuid() == 0:
        args += ["--cap-drop", "ALL"]
    args += ["--remount-ro", "/"]  # the root that holds the binds is read-only too, as on Lambda
    return [*args, "--"]


def _system_view() -> list[str]:
    """Binds of the host's system folders (read-only) that programs and the interpreter need; the
    rest of the host (/home, /root, /var, /srv, /mnt, /media, /run, /opt, /tmp, ...) is not there.
    Links such as a merged-usr /bin stay links; /etc's links that point elsewhere (resolv.conf into
    /run) are bound where they point."""
    args: list[str] = []
    for d in SYSTEM_DIRS:
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            args += ["--ro-bind", d, d]
    for name in ETC_LINKS:
        path = os.path.join("/etc", name)
        real = os.path.realpath(path)
        if os.path.islink(path) and os.path.exists(real) and not real.startswith(("/etc/", "/usr/")):
            args += ["--ro-bind", real, real]
    return args


def runtime_dirs(python: str, dirs: Sequence[Path]) -> list[Path]:
    """What a runtime must see besides /tmp: these folders (code, layers, dependencies, the runner),
    where the links in them point (the AWS SDK folder is links into our site-packages), and the
    interpreter's installation. Outer folders first, so binds nest."""
    found: list[str] = []
    for d in dirs:
        found.append(os.path.abspath(d))  # as given: bwrap_args binds the real folder here too
        try:
            with os.scandir(d) as it:
                found += [os.path.realpath(e.path) for e in it if e.is_symlink()]
        except OSError:
            pass
    found += [sys.prefix, sys.base_prefix, sys.exec_prefix]
    located = python if os.path.isabs(python) else shutil.which(python)
    if located:
        venv = os.path.dirname(os.path.dirname(located))  # a venv's python is a link into its base
        found += [venv, os.path.dirname(os.path.dirname(os.path.realpath(located)))]
    out = sorted({p for p in found if os.path.exists(p)}, key=lambda p: (p.count(os.sep), p))
    # (a given path that is a link stays as given; its real folder is bound at both places)
    return [Path(p) for p in out]


@functools.lru_cache(maxsize=4)
def _probe(bwrap: str) -> str | None:
    """None when bwrap can make the namespaces here, else why not (its error)."""
    try:
        proc = subprocess.run(
            [*bwrap_args(bwrap, (), env={}), "true"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    if proc.returncode != 0:
        return (proc.stderr or proc.stdout).strip()[:300] or f"exit status {proc.returncode}"
    return None


def choose(ro_dirs: Sequence[Path], *, tmp_mb: int = 512, env: Mapping[str, str] | None = None) -> Sandbox:
    """The sandbox for a runtime on this machine; blocks (the first call tries bwrap once)."""
    env = os.environ if env is None else env
    if env.get(SANDBOX_ENV, "").lower() in ("off", "0", "no", "false"):
        return Sandbox((), f"Runtime not sandboxed ({SANDBOX_ENV}=off). {NOT_ISOLATION}")
    if sys.platform != "linux":
        return Sandbox((), f"Runtime not sandboxed (namespaces are Linux only). {NOT_ISOLATION}")
    bwrap = shutil.which("bwrap", path=env.get("PATH"))
    if bwrap is None:
        return Sandbox((), f"Runtime not sandboxed: bwrap is not installed; {INSTALL_HINT}. {NOT_ISOLATION}")
    why = _probe(bwrap)
    if why is not None:
        return Sandbox(
            (), f"Runtime not sandboxed: bwrap cannot create namespaces here ({why}). {NOT_ISOLATION}"
        )
    prefix = bwrap_args(bwrap, ro_dirs, tmp_mb=tmp_mb, env=env)
    setpriv = shutil.which("setpriv", path=env.get("PATH"))
    if setpriv is not None:  # bwrap's --die-with-parent covers its pid 1; this covers bwrap itself
        prefix = [setpriv, "--pdeathsig", "KILL", *prefix]
    note = (
        "Runtime sandboxed with bubblewrap (own user/mount/pid namespaces, read-only files, private "
        f"/tmp, your home hidden but for the function's folders). {NOT_ISOLATION}"
    )
    return Sandbox(tuple(prefix), note)

"""Local TCP ports: one nobody listens on yet, for a runtime API, a debugger or a local server."""

from __future__ import annotations

import random
import socket
from pathlib import Path

# Below the ephemeral range of Linux (32768-60999) and of macOS/Windows (49152-65535), above the
# well-known and most registered services' ports.
_LISTEN_RANGE = (20000, 32767)
_RANDOM = random.SystemRandom()  # independent of any seed a caller set


def ephemeral_range() -> tuple[int, int]:
    """The ports this machine gives outgoing connections (Linux's setting; IANA's range elsewhere)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 49152, 65535


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now, outside the ephemeral range: between this call and the
    caller's bind, no outgoing connection of this machine can be given it (one from the ephemeral range
    can, and did, take a port a server was about to bind). The OS picks one if none is found there."""
    low, high = ephemeral_range()
    candidates = [p for p in range(*_LISTEN_RANGE) if not low <= p <= high]
    for port in _RANDOM.sample(candidates, min(len(candidates), 64)):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])

"""The machine's load around a benchmark run, said plainly in the results."""

from __future__ import annotations

import os


def load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except (OSError, AttributeError):  # not on every OS
        return None


def load_sentence(before: float | None, after: float | None) -> str:
    """'Load average (1 min) 0.36 before / 0.41 after the run.' plus a warning when the machine was busy."""
    cores = os.cpu_count() or 1
    text = " / ".join(
        f"{v:.2f} {w}" if v is not None else f"n/a {w}" for v, w in ((before, "before"), (after, "after"))
    )
    # The run itself loads the machine; only the load before it says whether other work was running.
    busy = before is not None and before > cores / 2
    warning = (
        ": other work was running on the machine, so cold and reload numbers are noisy." if busy else "."
    )
    return f"Load average (1 min) {text} the run{warning}"

"""Runs awslambdaric with Lambda's sys.path: task root, then layers, then the runtime."""

import os
import sys


def main() -> None:
    handler = os.environ.get("_HANDLER") or (sys.argv[1] if len(sys.argv) > 1 else "")
    task_root = os.environ.get("LAMBDA_TASK_ROOT", "/var/task")
    runtime_dir = os.environ.get("LAMBDA_RUNTIME_DIR", "/var/runtime")
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    front = [task_root, f"/opt/python/lib/{version}/site-packages", "/opt/python", runtime_dir]
    sys.path[:] = front + [p for p in sys.path if p not in front]
    os.chdir(task_root)

    from awslambdaric.__main__ import main as ric_main

    ric_main([sys.argv[0], handler])


if __name__ == "__main__":
    main()

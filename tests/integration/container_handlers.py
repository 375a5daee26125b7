"""Handlers for the container pool tests (warm reuse, reload, memory, timeouts, layers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HANDLERS = {
    "ok.py": (
        "import json, os\n"
        "def handler(event, context):\n"
        "    return {'echo': event, 'fn': context.function_name, 'mem': context.memory_limit_in_mb,\n"
        "            'left': context.get_remaining_time_in_millis() > 0,\n"
        "            'env_fn': os.environ.get('AWS_LAMBDA_FUNCTION_NAME'),\n"
        "            'task_root': os.environ.get('LAMBDA_TASK_ROOT'), 'cwd': os.getcwd()}\n"
    ),
    "raises.py": "def handler(event, context):\n    raise ValueError('boom')\n",
    "importerr.py": "import no_such_module_xyz\ndef handler(event, context):\n    return 1\n",
    "syntaxerr.py": "def handler(event, context)\n    return 1\n",
    "nohandler.py": "def other(event, context):\n    return 1\n",
    "marshalerr.py": "def handler(event, context):\n    return {1, 2}\n",
    "none.py": "def handler(event, context):\n    return None\n",
    "decimal_ret.py": "from decimal import Decimal\ndef handler(event, context):\n    return {'n': Decimal('1.5')}\n",
    "exits.py": "import sys\ndef handler(event, context):\n    sys.exit(3)\n",
    "prints.py": (
        "import logging\n"
        "logging.getLogger().setLevel(logging.INFO)\n"
        "def handler(event, context):\n"
        "    print('hello from print')\n"
        "    logging.info('hello from logging')\n"
        "    return 'done'\n"
    ),
    "big.py": "def handler(event, context):\n    return 'x' * 7_000_000\n",
    "pkg/__init__.py": "",
    "pkg/sub/__init__.py": "",
    "pkg/sub/mod.py": "def fn(event, context):\n    return 'nested'\n",
    "hog.py": (
        "def handler(event, context):\n"
        "    blocks = [bytearray(16 * 1024 * 1024) for _ in range(int(event.get('mb', 400)) // 16)]\n"
        "    return len(blocks)\n"
    ),
    "sleeper.py": "import time\ndef handler(event, context):\n    time.sleep(float(event.get('s', 10)))\n    return 'slept'\n",
    "counter.py": (
        "COUNT = 0\n"
        "def handler(event, context):\n"
        "    global COUNT\n"
        "    COUNT += 1\n"
        "    return {'count': COUNT, 'version': 1}\n"
    ),
    "uses_layer.py": "import layer_mod\ndef handler(event, context):\n    return layer_mod.WHO\n",
}


def write_handlers(root: Path) -> Path:
    """Writes the handler modules under root/code and a layer under root/layer; returns code."""
    code = root / "code"
    for rel, text in HANDLERS.items():
        path = code / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    layer = root / "layer" / "python"
    layer.mkdir(parents=True, exist_ok=True)
    (layer / "layer_mod.py").write_text("WHO = 'layer one'\n")
    return code


def payload_of(raw: bytes) -> Any:
    return json.loads(raw.decode("utf-8")) if raw else None

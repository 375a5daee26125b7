"""Seed data loaded at start: JSON items for tables and files for buckets, from the project's local-seed/ folder.

local-seed/tables/<TableLogicalId or name>.json   a JSON list of items in plain JSON ({"id": "o-1", "n": 2})
local-seed/buckets/<BucketLogicalId or name>/...  files uploaded with their relative path as the key
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from app.project import resources as r
from app.project.resources import ResourceModel

SEED_FOLDER = "local-seed"
MAX_SEED_FILE = 50 * 1024 * 1024


def load_seed(
    root: Path, model: ResourceModel, client: Callable[[str], Any], log: Callable[[str], None]
) -> list[str]:
    """Puts the seed items and files into the local resources; returns the problems (never raises)."""
    folder = root / SEED_FOLDER
    problems: list[str] = []
    if not folder.is_dir():
        return problems
    tables = {k: v for k, v in model.resources.items() if v.type in (r.TABLE, r.SIMPLE_TABLE)}
    buckets = {k: v for k, v in model.resources.items() if v.type == r.BUCKET}
    for path in sorted((folder / "tables").glob("*.json")):
        res = tables.get(path.stem) or next((t for t in tables.values() if t.name == path.stem), None)
        if res is None:
            problems.append(f"{path}: no table {path.stem} in the template")
            continue
        try:
            items = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
        except (OSError, ValueError) as exc:
            problems.append(f"{path}: not readable JSON: {exc}")
            continue
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            problems.append(f"{path}: must be a JSON list of items (objects)")
            continue
        dynamodb, serializer = client("dynamodb"), TypeSerializer()
        count = 0
        for item in items:
            try:
                dynamodb.put_item(
                    TableName=res.name, Item={k: serializer.serialize(v) for k, v in item.items()}
                )
                count += 1
            except Exception as exc:  # a ClientError naming the item's problem (missing key...)
                problems.append(f"{path}: item {json.dumps(item, default=str)[:80]} not added: {exc}")
        log(f"seeded {count} item(s) into {res.logical_id} ({res.name})")
    bucket_root = folder / "buckets"
    if bucket_root.is_dir():
        for sub in sorted(p for p in bucket_root.iterdir() if p.is_dir()):
            res = buckets.get(sub.name) or next((b for b in buckets.values() if b.name == sub.name), None)
            if res is None:
                problems.append(f"{sub}: no bucket {sub.name} in the template")
                continue
            count = 0
            for file in sorted(p for p in sub.rglob("*") if p.is_file()):
                if file.stat().st_size > MAX_SEED_FILE:
                    problems.append(f"{file}: larger than 50 MB, not uploaded")
                    continue
                client("s3").put_object(
                    Bucket=res.name, Key=file.relative_to(sub).as_posix(), Body=file.read_bytes()
                )
                count += 1
            log(f"seeded {count} file(s) into {res.logical_id} ({res.name})")
    for line in problems:
        log(f"lambda-studio: {line}")
    return problems

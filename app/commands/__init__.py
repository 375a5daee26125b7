"""The registry of `lambda-studio` subcommands: each module has NAME and register(subparsers)."""

from __future__ import annotations

from types import ModuleType

from app.commands import deploy, events, functions, invoke, remote, serve, stack, start, start_api

# Each subcommand module adds itself here (one line each, in the order of `--help`).
COMMANDS: list[ModuleType] = [functions, events, invoke, serve, start_api, start, deploy, stack, remote]

"""Command line: ``pipeline <command>``. Each module in ``pipeline/commands`` adds one sub-command.

A command module defines ``register(subparsers)``, which adds its parser and sets ``func`` (taking the
parsed args, returning an exit status).
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from pipeline import commands
from pipeline.config import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pipeline",
        description="Offline es/en translation-normalisation pipeline.",
    )
    parser.add_argument("--config", default=None,
                        help="YAML config (default: $PIPELINE_CONFIG or configs/pipeline.yaml)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for mod in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"pipeline.commands.{mod.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"pipeline: config error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())

"""Command line: ``pipeline <command>``. Each module in ``pipeline/commands`` adds one sub-command.

A command module defines ``register(subparsers)``, which adds its parser with
``pipeline.commands.add_command`` and sets ``func`` (taking the parsed args, returning an ``ExitCode``).
"""
from __future__ import annotations

import argparse
import gc
import importlib
import pkgutil
import sys

from pipeline import __version__, commands
from pipeline.commands import HelpFormatter, add_global_options
from pipeline.config import ConfigError
from pipeline.service.run import ExitCode, exit_status_help


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pipeline",
        description="Offline es/en translation-normalisation pipeline. Global options (--config) may come "
                    "before or after the command.",
        epilog="example:\n  pipeline run --input seeds --output outputs\n  pipeline run --help\n\n"
               + exit_status_help(),
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}",
                        help="print the version and exit")
    add_global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", help="one of the commands below")
    sub.required = True
    for mod in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"pipeline.commands.{mod.name}").register(sub)
    return parser


# The cyclic garbage collector's first threshold (Python's default: 700 allocations). A run holds a few
# hundred thousand long-lived objects (models, word statistics, Luigi's task graph) that every full
# collection walks again; collecting young objects every 10,000 allocations instead of every 700 makes
# full collections rare (100 news articles: ~0.5 CPU s of collection -> ~0.15 s). Memory stays bounded:
# collection still runs, only less often, and it decides nothing about the output.
GC_THRESHOLD = 10_000


def main(argv: list[str] | None = None) -> int:
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or ExitCode.OK)
    except ConfigError as exc:
        print(f"pipeline: config error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except BrokenPipeError:
        return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())

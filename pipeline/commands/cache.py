"""``pipeline cache``: show or clear the translation cache of an output root (or an explicit cache file).

Only reads or changes an existing cache: a missing one is reported, never created.
"""
from __future__ import annotations

import sys
from pathlib import Path

from pipeline.commands import add_command
from pipeline.config import load_config
from pipeline.service.run import ExitCode


def register(subparsers) -> None:
    p = add_command(subparsers, "cache", help="translation cache of a run's output root: stats | clear",
                    description="Show how many translations the cache of an output root holds, or empty it. "
                                "`pipeline run` keeps its cache at translation.cache.path under --output "
                                "(default .cache/translations.sqlite3); a missing cache is reported and "
                                "nothing is created.",
                    example="pipeline cache stats --root outputs\n"
                            "pipeline cache clear --cache /var/cache/pipeline/translations.sqlite3",
                    exit_codes=(ExitCode.OK, ExitCode.USAGE))
    p.add_argument("action", choices=("stats", "clear"), help="stats: count the entries; clear: delete them")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--root", "--output", dest="root", default="outputs", metavar="DIR",
                       help="output root of the runs; a relative cache path is under it (default: outputs/)")
    where.add_argument("--cache", default=None, metavar="PATH", help="the cache file itself")
    p.set_defaults(func=run)


def cache_file(args) -> tuple[Path, int]:
    """Where the cache is, and its configured size limit."""
    cfg = load_config(args.config).translation.cache
    if args.cache:
        return Path(args.cache), cfg.max_entries
    path = Path(cfg.path)
    return (path if path.is_absolute() else Path(args.root) / path), cfg.max_entries


def run(args) -> int:
    from pipeline.translate.cache import TranslationCache

    path, max_entries = cache_file(args)
    if not path.is_file():
        print(f"no translation cache at {path} (nothing cached yet, or another --root/--cache)",
              file=sys.stderr)
        return ExitCode.OK
    cache = TranslationCache(path, max_entries)
    try:
        if args.action == "clear":
            print(f"cleared {cache.clear()} entries from {path}")
        else:
            print(f"{path}: {len(cache)} entries (max {max_entries})")
    finally:
        cache.close()
    return ExitCode.OK

"""``pipeline cache``: show or clear the translation cache."""
from __future__ import annotations

from pathlib import Path

from pipeline.config import load_config


def register(subparsers) -> None:
    p = subparsers.add_parser("cache", help="translation cache: stats | clear")
    p.add_argument("action", choices=("stats", "clear"))
    p.add_argument("--root", default=None, help="output root the cache path is relative to (default: cwd)")
    p.set_defaults(func=run)


def run(args) -> int:
    from pipeline.translate.cache import TranslationCache

    cfg = load_config(args.config).translation.cache
    path = Path(cfg.path)
    if not path.is_absolute():
        path = Path(args.root or Path.cwd()) / path
    cache = TranslationCache(path, cfg.max_entries)
    try:
        if args.action == "clear":
            print(f"cleared {cache.clear()} entries from {path}")
        else:
            print(f"{path}: {len(cache)} entries (max {cfg.max_entries})")
    finally:
        cache.close()
    return 0

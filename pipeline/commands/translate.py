"""``pipeline translate``: stdin lines in, the same number of translated lines out.

A line with nothing to translate (empty, or only a handle, URL or number) is written as it is; a line the
engine cannot translate is written empty and its reason goes to stderr. Bytes that are not UTF-8 become
U+FFFD with a warning: no line is ever lost.
"""
from __future__ import annotations

import msgspec
import sys

from pipeline.config import load_config


_NOTHING_TO_TRANSLATE = ("empty", "no_translatable_text")


def register(subparsers) -> None:
    p = subparsers.add_parser("translate", help="translate stdin lines offline (line in, line out)")
    p.add_argument("--from", dest="src", default="es", choices=("es", "en"))
    p.add_argument("--to", dest="tgt", default="en", choices=("es", "en"))
    p.add_argument("--engine", choices=("auto", "argos", "apertium"), default=None)
    p.add_argument("--no-cache", action="store_true", help="do not read or write the translation cache")
    p.add_argument("--clear-cache", action="store_true", help="empty the translation cache first")
    p.add_argument("--batch", type=int, default=256, help="lines per engine call")
    p.set_defaults(func=run)


def run(args) -> int:
    from pipeline.io import read_lines
    from pipeline.translate.engines import EngineUnavailable
    from pipeline.translate.translator import Translator

    cfg = load_config(args.config).translation
    if args.engine:
        cfg = msgspec.structs.replace(cfg, engine=args.engine)
    if args.no_cache:
        cfg = msgspec.structs.replace(cfg, cache=msgspec.structs.replace(cfg.cache, enabled=False))
    if args.src == args.tgt:
        print("pipeline translate: --from and --to must differ", file=sys.stderr)
        return 2
    translator = Translator(cfg)
    try:
        if args.clear_cache and translator.cache is not None:
            n = translator.cache.clear()
            print(f"cleared {n} cached translations", file=sys.stderr)
        try:
            info = translator.engine_info(args.src, args.tgt)
        except EngineUnavailable as exc:
            print(f"pipeline translate: {exc}", file=sys.stderr)
            return 3
        print(f"engine: {info['engine']} {info['version']}", file=sys.stderr)
        lineno = 0
        batch: list[str] = []

        def flush() -> None:
            nonlocal lineno
            for source, r in zip(batch, translator.translate(batch, args.src, args.tgt)):
                lineno += 1
                text = r.text
                if text is None and r.reason in _NOTHING_TO_TRANSLATE:
                    text = source  # "@handle ?" stays "@handle ?", not an empty line
                    if source:
                        print(f"line {lineno}: {r.reason} (written as it is)", file=sys.stderr)
                    else:
                        print(f"line {lineno}: {r.reason}", file=sys.stderr)
                elif text is None:
                    print(f"line {lineno}: {r.reason}", file=sys.stderr)
                sys.stdout.write((text or "").replace("\n", " ") + "\n")
            sys.stdout.flush()
            batch.clear()

        for line in read_lines(sys.stdin, "translate"):
            batch.append(line)
            if len(batch) >= max(1, args.batch):
                flush()
        if batch:
            flush()
        return 0
    finally:
        translator.close()

"""``pipeline translate``: stdin lines in, the same number of translated lines out.

A line with nothing to translate (empty, or only a handle, URL or number) is written as it is; a line the
engine cannot translate is written empty and its reason goes to stderr. Bytes that are not UTF-8 become
U+FFFD with a warning: no line is ever lost.
"""
from __future__ import annotations

import sys
from collections import deque
from pathlib import Path

import msgspec

from pipeline.commands import add_command
from pipeline.config import load_config
from pipeline.service.run import ExitCode


_NOTHING_TO_TRANSLATE = ("empty", "no_translatable_text")
PASS = 4  # batches per engine pass (written out after each pass)


def register(subparsers) -> None:
    p = add_command(subparsers, "translate", help="translate stdin lines offline (line in, line out)",
                    description="Translate each stdin line with the offline engine and write one line out per "
                                "line in. No translation cache unless --cache PATH names one (or the config "
                                "gives translation.cache.path as an absolute path): a line tool has no output "
                                "folder, so it writes nothing anywhere else.",
                    example='echo "Nos reunimos en Caracas." | pipeline translate --from es --to en\n'
                            "pipeline translate --cache outputs/.cache/translations.sqlite3 < lines.txt",
                    exit_codes=(ExitCode.OK, ExitCode.USAGE))
    p.add_argument("--from", dest="src", default="es", choices=("es", "en"), help="source language (default: es)")
    p.add_argument("--to", dest="tgt", default="en", choices=("es", "en"), help="target language (default: en)")
    p.add_argument("--engine", choices=("auto", "argos", "apertium"), default=None,
                   help="translation engine (default: translation.engine from the config)")
    p.add_argument("--cache", default=None, metavar="PATH",
                   help="read and write this translation cache file, e.g. a run's "
                        "<output>/.cache/translations.sqlite3 (default: no cache)")
    p.add_argument("--no-cache", action="store_true",
                   help="use no cache, not even an absolute translation.cache.path from the config")
    p.add_argument("--clear-cache", action="store_true", help="empty the --cache file first")
    p.add_argument("--batch", type=int, default=256,
                   help="lines per engine batch (default: 256; four batches share one engine pass)")
    p.set_defaults(func=run)


def cache_setting(cfg, args):
    """The cache section for a line tool: only an explicit path (``--cache``, or an absolute path in the
    config) is used; a relative one is relative to an output root, which a line tool does not have."""
    path = args.cache or (cfg.cache.path if Path(cfg.cache.path).is_absolute() else None)
    if path is None or args.no_cache:
        return msgspec.structs.replace(cfg.cache, enabled=False)
    return msgspec.structs.replace(cfg.cache, enabled=True, path=str(Path(path).resolve()))


def run(args) -> int:
    cfg = load_config(args.config).translation
    if args.engine:
        cfg = msgspec.structs.replace(cfg, engine=args.engine)
    cfg = msgspec.structs.replace(cfg, cache=cache_setting(cfg, args))
    if args.src == args.tgt:
        print("pipeline translate: --from and --to must differ", file=sys.stderr)
        return ExitCode.USAGE
    if args.clear_cache and not cfg.cache.enabled:
        print("pipeline translate: --clear-cache needs a cache: give --cache PATH", file=sys.stderr)
        return ExitCode.USAGE
    from pipeline.translate.engines import EngineUnavailable, get_engine, start_engine

    try:
        engine = get_engine(cfg, args.src, args.tgt)
    except EngineUnavailable as exc:
        print(f"pipeline translate: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    # The engine's programs start first: they load their dictionaries while the rest of the tool is
    # imported and the first lines are read and planned.
    start_engine(engine, args.src, args.tgt)
    try:
        from pipeline.io import read_lines
        from pipeline.translate.translator import Translator

        translator = Translator(cfg, engines={(args.src, args.tgt): engine})
    except BaseException:
        if callable(getattr(engine, "close", None)):
            engine.close()
        raise
    try:
        if args.clear_cache and translator.cache is not None:
            n = translator.cache.clear()
            print(f"cleared {n} cached translations", file=sys.stderr)
        info = translator.engine_info(args.src, args.tgt)
        print(f"engine: {info['engine']} {info['version']}", file=sys.stderr)
        lineno = 0
        size = max(1, args.batch)
        sources: deque[list[str]] = deque()  # the lines of the passes read and not yet written

        def passes():
            # up to PASS batches of --batch lines in one engine pass: each is still its own engine batch
            # (the same output as one call per batch), but the fixed costs of a call are paid once
            batch: list[str] = []
            for line in read_lines(sys.stdin, "translate"):
                batch.append(line)
                if len(batch) >= size * PASS:
                    sources.append(batch)
                    yield [batch[i:i + size] for i in range(0, len(batch), size)]
                    batch = []
            if batch:
                sources.append(batch)
                yield [batch[i:i + size] for i in range(0, len(batch), size)]

        for parts in translator.translate_passes(passes(), args.src, args.tgt):
            for source, r in zip(sources.popleft(), (r for part in parts for r in part)):
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
        return ExitCode.OK
    finally:
        translator.close()

"""``pipeline score``: stdin ``es<TAB>en`` lines in, one quality score in [0, 1] per line out.

Same number of lines out as in, in order; a line that is not two non-empty tab-separated UTF-8 fields gets
the score 0 and a warning on stderr. ``--parts`` writes JSON lines with the score and its parts instead.
The score is the corpus's ``quality.score`` (pipeline/corpus/quality.py) with no known origin: the round
trip goes through both directions of the configured engine and the lower agreement counts.
"""
from __future__ import annotations

import json
import sys

import msgspec

from pipeline.commands import add_command
from pipeline.service.run import ExitCode


def register(subparsers) -> None:
    p = add_command(subparsers, "score", help="quality score of stdin es<TAB>en pairs (one score per line)",
                    description="Score each stdin line 'es<TAB>en' in [0, 1] with the corpus's quality score; "
                                "one score out per line in (0 and a warning for a malformed line). The round "
                                "trip uses no translation cache, so nothing is written.",
                    example="printf 'Hola.\\tHello.\\n' | pipeline score\n"
                            "pipeline score --parts --no-round-trip < pairs.tsv",
                    exit_codes=(ExitCode.OK, ExitCode.USAGE))
    p.add_argument("--parts", action="store_true", help="JSON lines: score and its parts")
    p.add_argument("--no-round-trip", action="store_true", help="score without the translation engine")
    p.add_argument("--engine", choices=("auto", "argos", "apertium"), default=None,
                   help="engine of the round trip (default: translation.engine from the config)")
    p.add_argument("--batch", type=int, default=256, help="pairs per engine call (default: 256)")
    p.set_defaults(func=run)


def _parse(raw: bytes) -> tuple[str, str] | str:
    """(es, en), or why the line cannot be scored."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 ({exc.reason})"
    fields = line.split("\t")
    if len(fields) != 2:
        return f"expected 2 tab-separated fields, found {len(fields)}"
    es, en = fields
    if not es.strip() or not en.strip():
        return "empty side"
    return es, en


def run(args) -> int:

    from pipeline.config import load_config
    from pipeline.corpus.quality import QualityScorer

    cfg = load_config(args.config)
    if args.engine:
        cfg = msgspec.structs.replace(cfg, translation=msgspec.structs.replace(cfg.translation, engine=args.engine))
    scorer = QualityScorer(cfg, round_trip=not args.no_round_trip)
    out = sys.stdout
    lineno = 0
    warned_engine = False
    batch: list[tuple[str, str] | str] = []

    def flush() -> None:
        nonlocal lineno, warned_engine
        good = [x for x in batch if isinstance(x, tuple)]
        scores = iter(scorer.score(good) if good else [])
        if scorer.engine_error and not warned_engine:
            print(f"pipeline score: no round trip ({scorer.engine_error}); scoring without it", file=sys.stderr)
            warned_engine = True
        for item in batch:
            lineno += 1
            if isinstance(item, str):
                print(f"pipeline score: line {lineno}: {item}; score 0", file=sys.stderr)
                out.write(json.dumps({"score": 0.0, "error": item}) + "\n" if args.parts else "0.0000\n")
                continue
            q = next(scores)
            out.write(json.dumps(q.to_dict(), sort_keys=True) + "\n" if args.parts else f"{q.score:.4f}\n")
        out.flush()
        batch.clear()

    try:
        for raw in sys.stdin.buffer:
            raw = raw[:-1] if raw.endswith(b"\n") else raw
            raw = raw[:-1] if raw.endswith(b"\r") else raw
            batch.append(_parse(raw))
            if len(batch) >= max(1, args.batch):
                flush()
        if batch:
            flush()
    finally:
        scorer.close()
    return ExitCode.OK

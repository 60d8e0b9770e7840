"""``pipeline detect``: language of each stdin line, one JSON line out per line in.

Output: ``{"lang", "confidence", "spans": [{"start", "end", "lang"}], "reason"}``; ``--context`` treats
stdin as one document so short lines lean on their neighbours.
"""
from __future__ import annotations

import json
import sys

from pipeline.commands import add_command
from pipeline.service.run import ExitCode


def register(subparsers) -> None:
    p = add_command(subparsers, "detect", help="detect the language of each stdin line (JSON lines out)",
                    description="Detect the language of each stdin line; one JSON line out per line in: "
                                "lang, confidence, spans (start, end, lang) and reason.",
                    example='echo "Nos reunimos con @Fariacrt en #Moscú" | pipeline detect\n'
                            "pipeline detect --context < article.txt",
                    exit_codes=(ExitCode.OK, ExitCode.USAGE))
    p.add_argument("--context", action="store_true",
                   help="treat stdin as one document: weak lines lean on neighbours and the "
                        "dominant language")
    p.set_defaults(func=run)


def run(args) -> int:
    from pipeline.config import load_config
    from pipeline.langid.detector import LanguageDetector

    detector = LanguageDetector(load_config(args.config).langid)
    from pipeline.io import read_lines

    # Keep exactly one output line per input line: split on '\n' only (not on other line breaks).
    lines = list(read_lines(sys.stdin, "detect"))
    results = detector.detect_document(lines) if args.context else detector.detect_many(lines)
    out = sys.stdout
    for d in results:
        out.write(json.dumps(d.to_dict(), ensure_ascii=False) + "\n")
    out.flush()
    return ExitCode.OK

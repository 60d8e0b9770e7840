"""``pipeline repair [--explain]``: English lines on stdin, repaired lines on stdout (one per input line).

With ``--explain`` each output line is a JSON object: before, text, steps (rule names + edits), flagged.
Lines are repaired with the whole input as document context (casing evidence, acronym-defined names).
"""
from __future__ import annotations

import argparse
import json
import sys

from pipeline.commands import add_command
from pipeline.config import load_config
from pipeline.service.run import ExitCode


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_command(subparsers, "repair", help="repair machine-translation artefacts in English lines (stdin)",
                    description="Repair machine-translation artefacts in English stdin lines; one line out per "
                                "line in. The whole input is the document context (casing evidence, names "
                                "defined by acronyms) unless --no-context.",
                    example='echo "in CaracasAfter the meeting" | pipeline repair\n'
                            "pipeline repair --explain < translated.txt",
                    exit_codes=(ExitCode.OK, ExitCode.USAGE))
    p.add_argument("--explain", action="store_true", help="write JSON lines with the edits and the flags")
    p.add_argument("--no-context", action="store_true",
                   help="repair each line alone (default: the whole input is the document context)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.repair.repairer import DocumentContext, Repairer

    cfg = load_config(args.config)
    repairer = Repairer(cfg.repairs)
    from pipeline.io import read_lines

    lines = list(read_lines(sys.stdin, "repair"))
    ctx = None if args.no_context else DocumentContext.from_texts(lines)
    out = sys.stdout
    for line in lines:
        res = repairer.repair(line, ctx)
        if args.explain:
            out.write(json.dumps(res.to_dict(), ensure_ascii=False) + "\n")
        else:
            out.write(res.text.replace("\n", " ") + "\n")  # one line out per line in
    out.flush()
    return ExitCode.OK

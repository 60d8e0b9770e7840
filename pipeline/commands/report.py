"""``pipeline report``: (re)render report.html of a published corpus version, compared with the previous one.

Exit status: 0 written, 1 no such version (one line on stderr says why).
"""
from __future__ import annotations

import sys
from pathlib import Path

from pipeline.commands import add_command
from pipeline.service.run import ExitCode


def register(subparsers) -> None:
    p = add_command(subparsers, "report", help="(re)render report.html of a corpus version",
                    description="Render report.html of a published corpus version again, compared with the "
                                "version published before it (or the one given).",
                    example="pipeline report --output outputs\n"
                            "pipeline report --output outputs --version 1a2b3c4d5e6f7a8b --previous none "
                            "--html /tmp/report.html",
                    exit_codes=(ExitCode.OK, ExitCode.FAILED, ExitCode.USAGE))
    p.add_argument("--output", default="outputs", help="output root of the runs (default: outputs/)")
    p.add_argument("--version", default=None, metavar="ID",
                   help="corpus version (a folder in <output>/corpus-versions; default: the published one)")
    p.add_argument("--previous", default=None, metavar="ID|none",
                   help="version to compare with (default: the one published before it; none: no comparison)")
    p.add_argument("--html", default=None, metavar="PATH",
                   help="write the page here instead of <version>/report.html (the version folder is not touched)")
    p.set_defaults(func=run)


def run(args) -> int:
    from pipeline.corpus import report_html

    root = Path(args.output)
    versions = root / "corpus-versions"
    if args.version:
        folder = versions / args.version
    elif (root / "corpus").is_symlink() or (root / "corpus").is_dir():
        folder = (root / "corpus").resolve()
    else:
        print(f"pipeline report: nothing published in {root} (no {root / 'corpus'}); give --version ID",
              file=sys.stderr)
        return ExitCode.FAILED
    if not (folder / "manifest.json").is_file():
        known = sorted(p.name for p in versions.glob("*") if (p / "manifest.json").is_file())
        print(f"pipeline report: {folder} is not a complete corpus version"
              + (f" (versions: {', '.join(known)})" if known else ""), file=sys.stderr)
        return ExitCode.FAILED
    if args.previous == "none":
        previous = None
    elif args.previous:
        previous = versions / args.previous
        if not (previous / "manifest.json").is_file():
            print(f"pipeline report: {previous} is not a complete corpus version", file=sys.stderr)
            return ExitCode.FAILED
    else:
        previous = report_html.previous_version(folder)
    out = report_html.write_report(folder, previous, Path(args.html) if args.html else None)
    print(f"wrote {out}" + (f" (compared with {previous.name})" if previous else " (no previous version)"))
    return ExitCode.OK

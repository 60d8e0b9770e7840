"""``pipeline clean``: delete stage files no current input/config points at and old corpus versions."""
from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from pipeline.commands import add_command, usage_error
from pipeline.service import run as service
from pipeline.service.run import ExitCode


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "clean", help="prune stale work files and old corpus versions",
                    example="pipeline clean --input seeds --output outputs --keep 3 --dry-run",
                    exit_codes=(ExitCode.OK, ExitCode.USAGE),
                    description="Delete stage files whose fingerprint the current inputs and config no "
                                   "longer produce, corpus versions beyond the --keep newest (never the "
                                   "published one) and leftovers of killed runs. Use the same --input, "
                                   "--config and --engine as the scheduled runs, or their files look stale.")
    p.add_argument("--input", default="seeds", help="folder of articles (default: seeds/)")
    p.add_argument("--output", default="outputs", help="output root (default: outputs/)")
    p.add_argument("--engine", choices=("auto", "argos", "apertium"), default=None,
                   help="the --engine of the scheduled runs (default: translation.engine from the config)")
    p.add_argument("--keep", type=int, default=2, help="corpus versions to keep, the published one included (default: 2)")
    p.add_argument("--min-age", type=float, default=3600.0,
                   help="seconds a temporary file must be old before it counts as a leftover (default 3600)")
    p.add_argument("--dry-run", action="store_true", help="list, delete nothing")
    p.add_argument("--no-lock", action="store_true", help="do not wait for a local run on the output folder")
    p.set_defaults(func=clean)


def clean(args: argparse.Namespace) -> int:
    from pipeline.service.operations import OperationError, clean as do_clean, describe

    problem = service.path_problem(args)
    if problem:
        return usage_error(problem)
    from pipeline import storage

    remote = storage.is_remote(args.output)
    output = Path(storage.local_dir(service.output_root(args.output)))  # the folder, or this host's for a URL
    if not remote and not output.is_dir():
        return usage_error(f"output folder not found: {output}")
    try:
        config_path = service.effective_config(args.config, args.engine, output)
        with contextlib.nullcontext() if args.no_lock else service.output_lock(output):
            report = do_clean(args.input, service.output_root(args.output), config_path, keep=args.keep,
                              dry_run=args.dry_run,
                              min_age_s=args.min_age)
    except (OperationError, FileNotFoundError) as exc:
        return usage_error(str(exc))
    verb = "would remove" if args.dry_run else "removed"
    for kind, paths in (("stale stage file", report.stage_files), ("corpus version", report.versions),
                        ("leftover", report.temporaries)):
        for p in describe(paths, service.output_root(args.output)):
            print(f"{verb} {kind}: {p}")
    print(f"{verb} {report.total()} item(s)", file=sys.stderr)
    return ExitCode.OK

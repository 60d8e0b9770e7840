"""``pipeline run``: the command-line shim over ``pipeline.service.run``."""
from __future__ import annotations

import argparse

from pipeline.commands import add_command
from pipeline.service import run as service
from pipeline.service.run import ExitCode

RUN_EXIT_CODES = tuple(ExitCode)  # every status is one a run can end with


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "run", help="build and publish the corpus from a folder of articles",
                    description="Process new or changed articles and publish a new corpus version.",
                    example="pipeline run --input seeds --output outputs\n"
                            "pipeline run --input articles --output out --workers 2 --engine apertium",
                    exit_codes=RUN_EXIT_CODES)
    add_run_options(p)
    p.set_defaults(func=service.run)


def add_run_options(p: argparse.ArgumentParser) -> None:
    """Options shared by ``run`` and ``rerun``."""
    p.add_argument("--input", default="seeds", help="folder of articles (default: seeds/)")
    p.add_argument("--output", default="outputs", help="output root (default: outputs/)")
    p.add_argument("--workers", type=int, default=1, help="Luigi worker processes (default: 1)")
    p.add_argument("--engine", choices=("auto", "argos", "apertium"), default=None,
                   help="translation engine (default: translation.engine from the config)")
    p.add_argument("--scheduler-url", default=None,
                   help="central luigid URL, e.g. http://host:8082 (default: local scheduler + a lock)")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--progress", action="store_true",
                       help="show the progress bar (documents done of the total, then export and publish, "
                            "with the time left) even when stderr is not a terminal")
    shown.add_argument("--no-progress", action="store_true", help="no progress bar (default when stderr is "
                                                                 "not a terminal)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="documents per Luigi task; 0: one task per stage per document (default for one "
                        "worker and up to 200 documents). Otherwise the default is documents/(4*workers), at "
                        "most 200: per-document tasks slow Luigi's scheduler, and a multi-worker run starts a "
                        "fresh process per task that reloads the models (see docs/operations.md)")
    p.add_argument("--allow-empty", action="store_true",
                   help="publish even when the input folder is empty or the engine failed on every segment")
    p.add_argument("--allow-shrink", action="store_true",
                   help="publish even when the new corpus has far fewer pairs than the published one")
    p.add_argument("--max-shrink", type=float, default=None,
                   help="share of the published pairs a new version may lose without --allow-shrink "
                        "(default: max_shrink in luigi.cfg [pipeline], 0.5)")

"""``pipeline rerun TASK [--doc ID]``: force one stage (and what follows it) to run again, then publish."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.commands import add_command, usage_error, run as run_command
from pipeline.service import run as service
from pipeline.service.run import ExitCode


# pipeline.service.operations.STAGES + CORPUS_STEPS, spelled out: importing them here would load Luigi and
# every task for each command, `pipeline translate` included (tests/test_cli_startup.py keeps them equal)
TASK_NAMES = ("ingest", "segment", "detect", "repair_source", "translate", "repair", "export", "publish")


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "rerun", help="force one task to run again for one document or all, then publish",
                    example="pipeline rerun TranslateSegments --doc 003_158391a6dab5c5a3\n"
                            "pipeline rerun repair --dry-run",
                    exit_codes=run_command.RUN_EXIT_CODES,
                    description="Remove the current outputs of TASK and of every later stage (for --doc, "
                                   "of that document only), leave everything upstream alone, then run as "
                                   "`pipeline run` does. TASK is a stage "
                                   f"({', '.join(TASK_NAMES)}) or a task class name.")
    p.add_argument("task", metavar="TASK", help=f"stage ({', '.join(TASK_NAMES)}) or task class name")
    p.add_argument("--doc", default=None, help="document id or input file name (default: every document)")
    p.add_argument("--dry-run", action="store_true", help="only list what would be invalidated")
    run_command.add_run_options(p)
    p.set_defaults(func=rerun)


def rerun(args: argparse.Namespace) -> int:
    from pipeline.service.operations import OperationError, describe, invalidate, stage_name

    problem = service.path_problem(args)
    if problem:
        return usage_error(problem)
    output = service.output_root(args.output)  # a folder, or an s3:// URL as given
    try:
        stage_name(args.task)
        config_path = service.effective_config(args.config, args.engine)
        if args.dry_run:
            from pipeline.service.operations import select_documents, stages_from
            from pipeline.tasks.document import document_chain

            for path in select_documents(args.input, args.doc):
                for t in document_chain(str(path), output, config_path):
                    if t.stage in stages_from(stage_name(args.task)) and t.complete():
                        print(f"would remove {t.output().path}")
            print("would set aside the current corpus version and export again")
            return ExitCode.OK
        from pipeline import storage

        lock = service.output_lock(Path(storage.local_dir(output))) if not args.scheduler_url \
            else service.contextlib.nullcontext()
        with lock:
            done = invalidate(args.input, output, config_path, args.task, args.doc)
    except (OperationError, FileNotFoundError) as exc:
        return usage_error(str(exc))
    print(f"invalidated {len(done.removed)} stage file(s); corpus version set aside: "
          f"{', '.join(describe(done.set_aside, output)) or 'none'}", file=sys.stderr)
    return service.run(args)

"""Build and publish the corpus with Luigi (local scheduler, or a central luigid): the service behind
``pipeline run``/``rerun``/``clean``. Holds the output lock, chooses batch sizes, resolves the engine and
reports the outcome as an exit status."""
from __future__ import annotations

import argparse
import contextlib
import enum
import fcntl
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Iterator

class ExitCode(enum.IntEnum):
    """Exit statuses shared by every command."""

    OK = 0
    FAILED = 1  # a task failed
    USAGE = 2  # usage, config or engine error: nothing started
    REJECTED = 3  # finished and published, but at least one input document was rejected
    REFUSED = 4  # finished, but a publish guard kept the published corpus (empty input, shrink, engine down)


EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REJECTED = ExitCode.OK, ExitCode.FAILED, ExitCode.USAGE, ExitCode.REJECTED
EXIT_REFUSED = ExitCode.REFUSED
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def path_problem(args: argparse.Namespace) -> str | None:
    """Why the --input/--output/--workers of a run cannot work (None when they can); checked first."""
    for name in ("input", "output"):
        value = str(getattr(args, name, "") or "")
        if _URL.match(value):
            return (f"--{name} {value}: URLs are not supported (object storage is not implemented yet); "
                    "give a local folder")
    if getattr(args, "workers", 1) is not None and getattr(args, "workers", 1) < 1:
        return f"--workers must be 1 or more, not {args.workers}"
    if getattr(args, "max_shrink", None) is not None and not 0 <= args.max_shrink <= 1:
        return f"--max-shrink must be between 0 and 1, not {args.max_shrink}"
    if getattr(args, "input", None) and getattr(args, "output", None):
        inp, out = Path(args.input).resolve(), Path(args.output).resolve()
        if out == inp or inp in out.parents:
            return (f"--output {args.output} is inside --input {args.input}: the pipeline would read its own "
                    "files as articles; choose an output folder outside the input folder")
    return None


def effective_config(config_path: str | None, engine: str | None, output: Path | None = None) -> str:
    """The tasks' ``config_path`` parameter: the config file, checked now (before any task starts), plus
    the ``--engine`` override as part of the reference. Nothing is written: a derived config file written
    before the output lock is taken was read half-written by a concurrent start."""
    from pipeline.config import load_config
    from pipeline.tasks.base import config_ref, get_config

    cfg = load_config(config_path)
    ref = config_ref(cfg.source, engine if engine and engine != cfg.translation.engine else None)
    get_config(ref)
    return ref


@contextlib.contextmanager
def output_lock(output: Path) -> Iterator[None]:
    """One local-scheduler run per output folder at a time (luigid gives the same guarantee centrally)."""
    output.mkdir(parents=True, exist_ok=True)
    with open(output / ".pipeline.lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"pipeline: another run is using {output}; waiting for it to finish ...", file=sys.stderr)
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _progress_bar(enabled: bool):
    import luigi

    if not enabled:
        return contextlib.nullcontext()
    from tqdm import tqdm

    bar = tqdm(total=0, unit="task", desc="pipeline", file=sys.stderr, dynamic_ncols=True)

    @luigi.Task.event_handler(luigi.Event.DEPENDENCY_MISSING)
    def _missing(task):
        bar.total += 1
        bar.refresh()

    @luigi.Task.event_handler(luigi.Event.SUCCESS)
    def _done(task):
        bar.set_postfix_str(task.task_family, refresh=False)
        bar.update(1)

    return contextlib.closing(bar)


_TASK_LOG_ON = False
_FAILURES: dict[str, str] = {}


def check_output_folder(output: Path) -> str | None:
    """Why ``output`` cannot hold a run (None when it can): checked before any task starts."""
    try:
        output.mkdir(parents=True, exist_ok=True)
        probe = output / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def batch_size(requested: int | None, workers: int, documents: int) -> int:
    """Documents per task: as requested, else one batch of all documents for small single-worker runs (one
    engine pass per direction for the whole batch) and smaller batches otherwise. Per-document tasks cost Luigi ~0.17 s per
    document at 1,000 documents (236 s vs 69 s batched), and a multi-worker run forks a fresh process per
    task that reloads the models.

    >>> batch_size(None, 1, 200), batch_size(None, 1, 10_000), batch_size(None, 2, 100), batch_size(0, 2, 9)
    (200, 200, 13, 0)
    """
    if requested is not None:
        return max(0, requested)
    if workers <= 1 and documents <= 200:
        return max(1, documents)  # one batch: one engine pass per direction for all documents
    return max(1, min(200, -(-documents // (4 * max(1, workers)))))


def _log_task_starts() -> None:
    """Record every task start under <output>/logs/ (once per process: handlers are global in Luigi)."""
    global _TASK_LOG_ON
    if _TASK_LOG_ON:
        return
    import luigi

    from pipeline.service.operations import log_task_start

    @luigi.Task.event_handler(luigi.Event.START)
    def _started(task):
        if getattr(task, "output_dir", None):
            log_task_start(task.output_dir, task)

    @luigi.Task.event_handler(luigi.Event.FAILURE)
    def _failed(task, exception):  # the one line an operator needs, without reading Luigi's traceback
        _FAILURES[task.task_id] = f"{type(exception).__name__}: {exception}"

    _TASK_LOG_ON = True


def run(args: argparse.Namespace) -> int:
    import luigi

    from pipeline import runtime
    from pipeline.tasks import BuildCorpus
    from pipeline.tasks.base import get_config, list_inputs

    output = Path(args.output)
    problem = path_problem(args)
    if problem:
        print(f"pipeline: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        inputs = list_inputs(args.input)
    except FileNotFoundError as exc:
        print(f"pipeline: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not inputs and not getattr(args, "allow_empty", False):
        print(f"pipeline: no input files in {args.input} (an unmounted share?); the published corpus is "
              "unchanged. Pass --allow-empty to publish an empty corpus.", file=sys.stderr)
        return EXIT_REFUSED
    problem = check_output_folder(output)
    if problem:
        print(f"pipeline: cannot write to output folder {output}: {problem}", file=sys.stderr)
        return EXIT_USAGE
    config_path = effective_config(args.config, args.engine, output)
    cfg = get_config(config_path)
    try:
        # Opening the translation cache switches a new SQLite file to WAL, which fails with "database is
        # locked" when two hosts/runs start at once; one at a time here, and later opens find it in WAL.
        with open(output / ".engine-init.lock", "a+") as init_lock:
            fcntl.flock(init_lock, fcntl.LOCK_EX)
            engines = runtime.engine_identity(cfg, str(output))
        # Luigi forks worker processes: a SQLite connection (the translation cache) inherited across fork
        # is unsafe and stalled --workers 2 runs on lock waits (100 articles: 189 s instead of ~12 s).
        # Close it here; every worker process opens its own on first use.
        runtime.translator(cfg, str(output)).close()
        runtime.translator.cache_clear()
    except Exception as exc:  # EngineUnavailable and friends: say how to get an engine, start nothing
        print(f"pipeline: no translation engine: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for direction, info in engines.items():
        print(f"engine {direction}: {info['engine']} {info['version']}", file=sys.stderr)
    print(f"{len(inputs)} input file(s) in {args.input}", file=sys.stderr)
    guards = {"allow_empty": bool(getattr(args, "allow_empty", False)),
              "allow_shrink": bool(getattr(args, "allow_shrink", False))}
    if getattr(args, "max_shrink", None) is not None:
        guards["max_shrink"] = args.max_shrink
    task = BuildCorpus(input_dir=str(args.input), output_dir=str(output), config_path=config_path,
                       batch_size=batch_size(getattr(args, "batch_size", None), args.workers, len(inputs)),
                       **guards)
    _log_task_starts()
    _FAILURES.clear()
    # tasks cache their fingerprints; a second run in the same process must see changed inputs
    luigi.task_register.Register.clear_instance_cache()
    started = time.monotonic()
    link = output / "corpus"
    before = os.readlink(link) if link.is_symlink() else None
    lock = contextlib.nullcontext() if args.scheduler_url else output_lock(output)
    with lock, _progress_bar(not args.no_progress and sys.stderr.isatty()):
        if args.scheduler_url:
            # stay until the whole graph is done, even when another host runs the last tasks, so the
            # command returns only once the corpus is published
            luigi.configuration.get_config().set("worker", "keep_alive", "true")
            kwargs = {"scheduler_url": args.scheduler_url}
        else:
            kwargs = {"local_scheduler": True}
        result = luigi.build([task], workers=args.workers, detailed_summary=True, log_level="WARNING", **kwargs)
    elapsed = time.monotonic() - started
    ok = result.scheduling_succeeded and result.status.name in ("SUCCESS", "SUCCESS_WITH_RETRY")
    if args.scheduler_url and not ok and result.status.name == "NOT_RUN":
        # with a central scheduler, tasks another host ran count as "not run" here; what matters is
        # whether the corpus this run asked for is now published
        luigi.task_register.Register.clear_instance_cache()
        ok = BuildCorpus(input_dir=str(args.input), output_dir=str(output), config_path=config_path,
                         **guards).complete()
    if not ok:
        print(result.summary_text, file=sys.stderr)
        for task_id, error in _FAILURES.items():
            print(f"pipeline: {task_id} failed: {error}", file=sys.stderr)
        after = os.readlink(link) if link.is_symlink() else None
        if after is not None and after == before:
            print(f"pipeline: the published corpus is unchanged: {link} -> {after}", file=sys.stderr)
        elif after is not None:  # e.g. another host published while this run failed: say so, honestly
            print(f"pipeline: the published corpus changed during this run: {link} -> {after}", file=sys.stderr)
        else:
            print("pipeline: no corpus is published", file=sys.stderr)
        print(f"pipeline: run did not complete ({result.status.name})", file=sys.stderr)
        refused = _FAILURES and all(e.startswith("PublishRefused:") for e in _FAILURES.values())
        return EXIT_REFUSED if refused else EXIT_FAILED
    corpus = output / "corpus"
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    report = json.loads((corpus / "report.json").read_text(encoding="utf-8"))
    counts = report["counts"]
    print(f"published {corpus} -> {os.readlink(corpus)} in {elapsed:.1f}s: {manifest['pairs']} pairs, "
          f"{manifest['rejects']} rejects, {counts['documents']} documents "
          f"({counts['documents_rejected']} rejected); accounting "
          f"{'holds' if report['accounting']['holds'] else 'DOES NOT HOLD'}")
    for d in report["inputs"]:
        if d["status"] != "ok":
            print(f"  rejected document {d['path']}: {d['reason']}", file=sys.stderr)
    return EXIT_REJECTED if counts["documents_rejected"] else EXIT_OK


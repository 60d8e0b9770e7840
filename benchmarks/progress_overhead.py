"""What the `pipeline run` progress bar costs: computing the documents' output paths before the run
(their fingerprints: one read of every input) and one poll (a stat per document still pending), for
synthetic corpora of growing size; and Luigi's task instantiation with and without the get_params cache
(pipeline/tasks/luigi_internals.py).

python -m benchmarks.progress_overhead --documents 500 2000 [--config configs/pipeline.yaml]

Prints one JSON row per size. Needs an engine (the fingerprints hold its identity): apertium here.
"""
from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from pathlib import Path

import luigi

from benchmarks import synth


def _instantiate(n: int, cached: bool) -> float:
    from pipeline.tasks.document import RepairTranslations
    from pipeline.tasks.luigi_internals import CachedParams, forget_task_instances

    original = CachedParams.__dict__["get_params"]
    if not cached:  # Luigi's own walk over dir(cls) on every instantiation
        CachedParams.get_params = classmethod(lambda cls: luigi.Task.get_params.__func__(cls))
    try:
        forget_task_instances()
        start = time.perf_counter()
        for i in range(n):
            RepairTranslations(doc_path=f"d{i}.txt", output_dir="o", config_path="")
        return time.perf_counter() - start
    finally:
        CachedParams.get_params = original
        forget_task_instances()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--documents", type=int, nargs="+", default=[500, 2000])
    ap.add_argument("--config", default=None)
    args = ap.parse_args()
    from pipeline.service.run import RunProgress, effective_config
    from pipeline.tasks import BuildCorpus

    for n in args.documents:
        with tempfile.TemporaryDirectory() as tmp:
            inputs, output = Path(tmp) / "in", Path(tmp) / "out"
            synth.generate(inputs, n, seed=0)
            output.mkdir()
            ref = effective_config(args.config, "apertium")
            export = BuildCorpus(input_dir=str(inputs), output_dir=str(output), config_path=ref).requires().requires()
            start = time.perf_counter()
            progress = RunProgress(export, file=io.StringIO())
            setup = time.perf_counter() - start
            with progress:
                start = time.perf_counter()
                progress.poll()
                poll = time.perf_counter() - start
            row = {"documents": n, "progress_setup_s": round(setup, 3), "poll_all_pending_ms": round(poll * 1e3, 2),
                   "instantiate_6x_tasks_cached_s": round(_instantiate(6 * n, True), 3),
                   "instantiate_6x_tasks_uncached_s": round(_instantiate(6 * n, False), 3)}
            print(json.dumps(row))


if __name__ == "__main__":
    main()

"""Luigi's own cost for the pipeline's task graph, with the work taken out: every task completes instantly,
so the wall time is scheduling, dependency checks and worker bookkeeping only. Shapes:

- per-document: six chained tasks per document, then export, publish and a wrapper (6N + 3 tasks), as
  `pipeline run --batch-size 0`;
- batched: one task per B documents, then the same three (N/B + 3 tasks), as the default for large runs.

python benchmarks/luigi_overhead.py --documents 250 500 1000 2000 --batch-size 200 [--runs 3]

Prints one JSON row per shape and size and a table; the per-task cost rising with the task count is what
makes per-document tasks unsuitable for 10,000 articles.
"""
from __future__ import annotations

import argparse
import json
import logging
import statistics
import time

import luigi

DONE: set[str] = set()


class _Instant(luigi.Task):
    run_id = luigi.IntParameter()

    def complete(self):
        return self.task_id in DONE

    def run(self):
        DONE.add(self.task_id)


class Stage(_Instant):
    doc = luigi.IntParameter()
    stage = luigi.IntParameter()

    def requires(self):
        return Stage(run_id=self.run_id, doc=self.doc, stage=self.stage - 1) if self.stage > 0 else []


class Batch(_Instant):
    first = luigi.IntParameter()
    size = luigi.IntParameter()


class Export(_Instant):
    documents = luigi.IntParameter()
    batch = luigi.IntParameter()

    def requires(self):
        if self.batch <= 0:
            return [Stage(run_id=self.run_id, doc=d, stage=5) for d in range(self.documents)]
        return [Batch(run_id=self.run_id, first=i, size=min(self.batch, self.documents - i))
                for i in range(0, self.documents, self.batch)]


class Publish(_Instant):
    documents = luigi.IntParameter()
    batch = luigi.IntParameter()

    def requires(self):
        return Export(run_id=self.run_id, documents=self.documents, batch=self.batch)


class Build(luigi.WrapperTask):
    run_id = luigi.IntParameter()
    documents = luigi.IntParameter()
    batch = luigi.IntParameter()

    def requires(self):
        return Publish(run_id=self.run_id, documents=self.documents, batch=self.batch)


def one_run(run_id: int, documents: int, batch: int) -> tuple[float, int]:
    luigi.task_register.Register.clear_instance_cache()
    before = len(DONE)
    started = time.perf_counter()
    ok = luigi.build([Build(run_id=run_id, documents=documents, batch=batch)], local_scheduler=True,
                     workers=1, log_level="ERROR")
    wall = time.perf_counter() - started
    if not ok:
        raise SystemExit("luigi build failed")
    return wall, len(DONE) - before + 1  # + the wrapper, which has no completion record


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--documents", type=int, nargs="+", default=[250, 500, 1000, 2000])
    ap.add_argument("--batch-size", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    logging.getLogger("luigi-interface").setLevel(logging.ERROR)
    rows, run_id = [], 0
    for n in args.documents:
        for shape, batch in (("per-document", 0), ("batched", args.batch_size)):
            walls, tasks = [], 0
            for _ in range(args.runs):
                run_id += 1
                wall, tasks = one_run(run_id, n, batch)
                walls.append(wall)
            med = statistics.median(walls)
            row = {"documents": n, "shape": shape, "tasks": tasks, "median_s": round(med, 2),
                   "runs_s": [round(w, 2) for w in walls], "ms_per_task": round(1000 * med / tasks, 2),
                   "ms_per_document": round(1000 * med / n, 2)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(f"{'documents':>9} {'shape':>12} {'tasks':>6} {'median_s':>9} {'ms/task':>8} {'ms/doc':>7}")
    for r in rows:
        print(f"{r['documents']:>9} {r['shape']:>12} {r['tasks']:>6} {r['median_s']:>9} {r['ms_per_task']:>8} "
              f"{r['ms_per_document']:>7}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Requests per document against an S3 API: a first run, a no-change rerun and a rerun after one article
changed, on synthetic articles, with ``--output s3://…`` on moto's server on loopback (``moto[server]``).

Every request the run makes goes through one boto3 client per process (``pipeline.storage``); a
``before-call`` hook counts them by operation. The run is in-process with one worker, so nothing is missed.

    python benchmarks/s3_requests.py --articles 40 [--batch-size 10]

Prints requests by operation and per document, and a projection to 100,000 documents at the listed
prices (AWS S3 Standard, us-east-1: PUT/COPY/LIST/DELETE-batch $0.005 per 1,000, GET/HEAD $0.0004 per 1,000).
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks"), str(ROOT / "tests")]

WRITE_OPS = {"PutObject", "CopyObject", "ListObjectsV2", "DeleteObjects", "DeleteObject"}
PRICE = {"write": 0.005 / 1000, "read": 0.0004 / 1000}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--s3-inputs", action="store_true",
                    help="read the articles from s3://articles/in (uploaded with their sha256 in the metadata)")
    args = ap.parse_args()

    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    os.environ.update({"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "bench",
                       "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"})
    tmp = Path(tempfile.mkdtemp(prefix="s3-bench-"))
    os.environ["PIPELINE_LOCAL_DIR"] = str(tmp / "local")

    import synth
    from conftest import write_config

    from pipeline import storage
    from pipeline.cli import main as cli_main

    inputs = tmp / "in"
    synth.generate(inputs, args.articles, seed=1)
    config = write_config(tmp)
    storage._api().create_bucket(Bucket="corpus")
    import logging
    import threading

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    counts: Counter[str] = Counter()
    busy = {"s": 0.0}
    local = threading.local()

    def before(model, **kw):
        counts.update([model.name])
        local.t = time.perf_counter()

    def after(**kw):
        busy["s"] += time.perf_counter() - getattr(local, "t", time.perf_counter())

    storage._api().meta.events.register("before-call.s3", before)
    storage._api().meta.events.register("after-call.s3", after)
    source = str(inputs)
    if args.s3_inputs:
        storage._api().create_bucket(Bucket="articles")
        for p in sorted(inputs.iterdir()):
            storage.put_file(p, f"s3://articles/in/{p.name}")
        source = "s3://articles/in"
    argv = ["--config", config, "run", "--input", source, "--output", "s3://corpus/nightly", "--no-progress"]
    if args.batch_size is not None:
        argv += ["--batch-size", str(args.batch_size)]

    results = []
    for label in ("first run", "no-change rerun", "rerun, 1 article changed"):
        if label.startswith("rerun, 1"):
            first = sorted(inputs.iterdir())[0]
            first.write_text(first.read_text(encoding="utf-8") + "\nOne more sentence for the rerun.\n",
                             encoding="utf-8")
            if args.s3_inputs:
                storage.put_file(first, f"s3://articles/in/{first.name}")
        counts.clear()
        busy["s"] = 0.0
        started = time.monotonic()
        rc = cli_main(argv)
        elapsed = time.monotonic() - started
        assert rc == 0, f"{label}: exit {rc}"
        results.append((label, Counter(counts), elapsed, busy["s"]))

    n = args.articles
    print(f"\n{n} articles from {source}, batch size "
          f"{args.batch_size if args.batch_size is not None else 'default'}")
    for label, c, elapsed, in_s3 in results:
        writes = sum(v for k, v in c.items() if k in WRITE_OPS)
        reads = sum(c.values()) - writes
        print(f"\n{label}: {sum(c.values())} requests in {elapsed:.1f}s ({sum(c.values()) / n:.1f} per document); "
              f"{in_s3:.1f}s waiting on the S3 API ({1000 * in_s3 / max(1, sum(c.values())):.1f} ms per request)")
        for op, v in sorted(c.items()):
            print(f"  {op:16} {v:7d}  {v / n:6.2f}/doc")
        scale = 100_000 / n
        cost = writes * scale * PRICE["write"] + reads * scale * PRICE["read"]
        print(f"  projected to 100,000 documents: {writes * scale:,.0f} PUT/LIST-class + {reads * scale:,.0f} "
              f"GET/HEAD-class requests = ${cost:,.2f} per run")
    server.stop()


if __name__ == "__main__":
    main()

"""Compare the published corpus of two `pipeline run` output folders, file by file.

Used to check that a speed change leaves the corpus as it was: run main's checkout and this one on the same
input folder (the input path is written into the pairs and rejects, so use the same path for both), then

    python benchmarks/compare_corpus.py REFERENCE_OUTPUT NEW_OUTPUT

Every file under <output>/corpus/ is compared byte for byte; for JSON-lines files the number of differing
lines is printed. report.json, report.html, README.md and manifest.json hold run times and checksums of
the others; they are listed but do not fail the check. Exit status 1 when a data file differs or is missing.
"""
from __future__ import annotations

import sys
from pathlib import Path

INFORMATIONAL = {"report.json", "report.html", "README.md", "manifest.json"}


def compare(ref: Path, new: Path) -> int:
    ref_c, new_c = ref / "corpus", new / "corpus"
    names = sorted({str(p.relative_to(ref_c)) for p in ref_c.rglob("*") if p.is_file()}
                   | {str(p.relative_to(new_c)) for p in new_c.rglob("*") if p.is_file()})
    bad = 0
    same = 0
    for name in names:
        a, b = ref_c / name, new_c / name
        data_file = name not in INFORMATIONAL
        if not a.is_file() or not b.is_file():
            print(f"MISSING {name}: only in {'reference' if a.is_file() else 'new'}")
            bad += data_file
            continue
        x, y = a.read_bytes(), b.read_bytes()
        if x == y:
            same += 1
            continue
        detail = ""
        if name.endswith(".jsonl"):
            xl, yl = x.splitlines(), y.splitlines()
            diff = sum(1 for p, q in zip(xl, yl) if p != q) + abs(len(xl) - len(yl))
            detail = f": {diff} of {len(xl)} lines differ"
        print(f"{'DIFFERS' if data_file else 'differs (informational)'} {name}{detail}")
        bad += data_file
    print(f"{same} of {len(names)} files identical; {'corpus identical' if not bad else f'{bad} data files differ'}")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    raise SystemExit(compare(Path(sys.argv[1]), Path(sys.argv[2])))

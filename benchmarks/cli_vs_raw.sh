#!/usr/bin/env bash
# `pipeline translate` through the CLI against the raw engine, alternated in one loop (issue 11).
#
#   bash benchmarks/cli_vs_raw.sh [RUNS] [CHECKOUT ...]
#
# Each round runs `apertium -u eng-spa` once, then `python -m pipeline translate --from en --to es --no-cache`
# from each checkout (default: this one; give several, e.g. a `git worktree` of an older commit, to compare
# them in the same loop) on the same 2,000 English news sentences (the first 2,000 lines of the WMT news
# files in ../shared/data/news, as benchmarks/news_throughput.py uses). Prints the median wall time of each
# and its ratio to the raw engine's median. The 2-core machine's speed drifts between loops: compare only
# figures from the same loop. Not a test: nothing is asserted.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUNS=${1:-9}
shift || true
TREES=("$@")
[ ${#TREES[@]} -gt 0 ] || TREES=("$ROOT")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$ROOT/.venv/bin/python" -c "
import sys
sys.path.insert(0, '$ROOT/benchmarks')
import news_throughput as nt
lines = nt.read_lines('*.eng')[:2000]
if len(lines) < 2000:
    sys.exit('need the WMT news files in ../shared/data/news (see its README)')
open('$WORK/en.txt', 'w', encoding='utf-8').write('\n'.join(lines) + '\n')
"
for i in $(seq "$RUNS"); do
  /usr/bin/time -f %e -a -o "$WORK/raw.t" apertium -u eng-spa < "$WORK/en.txt" > /dev/null
  k=0
  for tree in "${TREES[@]}"; do
    k=$((k + 1))
    (cd "$tree" && PYTHONPATH="$tree" /usr/bin/time -f %e -a -o "$WORK/$k.t" "$ROOT/.venv/bin/python" -m pipeline \
      translate --from en --to es --no-cache < "$WORK/en.txt" > /dev/null 2>&1)
  done
done
median() { sort -n "$1" | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
raw=$(median "$WORK/raw.t")
echo "raw apertium -u eng-spa: median $raw s over $RUNS runs"
k=0
for tree in "${TREES[@]}"; do
  k=$((k + 1))
  m=$(median "$WORK/$k.t")
  echo "pipeline translate ($tree): median $m s, CLI/raw $(awk -v a="$m" -v b="$raw" 'BEGIN {printf "%.3f", a / b}')"
done

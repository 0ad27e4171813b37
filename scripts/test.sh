#!/usr/bin/env bash
# Installs what is needed, builds with warnings as errors, and runs every
# test: the GoogleTest suites (through ctest), the numpy reference's own
# self-test, and a bounded run of every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset ci >/dev/null
cmake --build --preset ci -j "$(nproc)"
/usr/bin/python3 tools/test_ref.py
FUZZ_SECONDS="${FUZZ_SECONDS:-60}" scripts/fuzz.sh
ctest --preset ci -j "$(nproc)"

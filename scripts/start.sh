#!/usr/bin/env bash
# The main job: installs what is needed, builds, and runs Impetus on the
# stories260K model from ../shared/testdata (pass another GGUF with MODEL=...).
# Extra arguments go to `impetus generate`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
MODEL="${MODEL:-../shared/testdata/models/stories260K/stories260K.gguf}"
if [ $# -eq 0 ]; then set -- -p "Once upon a time" -n 128; fi
exec build/release/src/impetus generate -m "$MODEL" "$@"

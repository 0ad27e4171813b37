#!/usr/bin/env bash
# The main job: installs what is needed, builds, and starts the Impetus
# server (web dashboard and OpenAI-compatible API on http://127.0.0.1:8080) with the stories260K
# model from ../shared/testdata. MODEL=/path/to/any.gguf serves another model;
# extra arguments go to `impetus serve` (e.g. --port 9000 --host 0.0.0.0).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
bash scripts/build_web.sh   # the dashboard, served at http://127.0.0.1:8080/
MODEL="${MODEL:-../shared/testdata/models/stories260K/stories260K.gguf}"
exec build/release/src/impetus serve --model "$MODEL" "$@"

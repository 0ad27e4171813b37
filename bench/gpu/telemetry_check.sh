#!/usr/bin/env bash
# bench/gpu/telemetry_check.sh: on a GPU machine, checks that the server's
# GPU telemetry (GET /api/hardware/gpu/metrics, NVML through dlopen) rises
# during a generation and matches nvidia-smi read at the same moments.
#
#   bench/gpu/telemetry_check.sh BIN_DIR [MODEL.gguf] [OUT_DIR]
#
# BIN_DIR holds a CUDA build of `impetus`; MODEL defaults to a random-weight
# TinyLlama-1.1B-shape F16 model written with `impetus synth`. Prints one
# line per reading (idle first, then during 8 concurrent generations):
# utilisation and memory from the API and from nvidia-smi, and a verdict.
set -uo pipefail
BIN="${1:?usage: telemetry_check.sh BIN_DIR [MODEL] [OUT_DIR]}"
OUT="${3:-/tmp/impetus-telemetry}"
mkdir -p "$OUT"
MODEL="${2:-$OUT/tl-f16.gguf}"
[ -f "$MODEL" ] || "$BIN/impetus" synth -o "$MODEL" --shape tinyllama-1.1b --type f16 -t 0 > /dev/null || exit 1

LOG="$OUT/serve.log"
"$BIN/impetus" serve --model "$MODEL" --device cuda --port 0 --parallel 8 > /dev/null 2> "$LOG" &
SERVER=$!
trap 'kill $SERVER 2> /dev/null; wait $SERVER 2> /dev/null' EXIT
PORT=""
for _ in $(seq 1 600); do
  PORT=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$LOG" | grep -o '[0-9]*$' | head -1)
  [ -n "$PORT" ] && curl -sf "http://127.0.0.1:$PORT/api/health/ready" > /dev/null && break
  sleep 0.2
done
[ -n "$PORT" ] || { echo "server did not start"; cat "$LOG"; exit 1; }
BASE="http://127.0.0.1:$PORT"

# One reading: API utilisation %, API memory used MiB, smi utilisation %, smi memory used MiB.
cat > "$OUT/reading.py" <<'PY'
import json, sys
api = json.loads(sys.argv[1])["current"]
smi_util, smi_mem = [float(x) for x in sys.argv[2].split(",")]
print("%.0f %.0f %.0f %.0f" % (api["gpu_utilization_percent"], api["memory_used_gb"] * 1024, smi_util, smi_mem))
PY
read_both() {
  local api smi
  api=$(curl -sf "$BASE/api/hardware/gpu/metrics")
  smi=$(nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits -i 0)
  python3 "$OUT/reading.py" "$api" "$smi"
}

echo "phase       api_util%  api_mem_MiB  smi_util%  smi_mem_MiB" | tee "$OUT/telemetry.txt"
sleep 2
for _ in 1 2 3; do echo "idle        $(read_both)" | tee -a "$OUT/telemetry.txt"; sleep 1; done
for i in $(seq 1 8); do
  curl -sf "$BASE/v1/completions" -H 'content-type: application/json' \
    -d "{\"model\":\"$(basename "$MODEL" .gguf)\",\"prompt\":\"Once upon a time $i\",\"max_tokens\":3000,\"temperature\":0}" \
    > /dev/null &
done
sleep 2
for _ in 1 2 3 4 5 6; do echo "generating  $(read_both)" | tee -a "$OUT/telemetry.txt"; sleep 1; done
kill %1 %2 %3 %4 %5 %6 %7 %8 2> /dev/null
python3 - "$OUT/telemetry.txt" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]).read().splitlines()[1:]]
idle = [list(map(float, r[1:])) for r in rows if r[0] == "idle"]
busy = [list(map(float, r[1:])) for r in rows if r[0] == "generating"]
mean = lambda xs: sum(xs) / len(xs)
rise = mean([r[0] for r in busy]) - mean([r[0] for r in idle])
mem_gap = max(abs(r[1] - r[3]) for r in idle + busy)
util_gap = mean([abs(r[0] - r[2]) for r in busy])
print(f"API utilisation rose by {rise:.0f} points during generation; "
      f"mean |API - nvidia-smi| utilisation while busy: {util_gap:.0f} points; "
      f"largest |API - nvidia-smi| memory gap: {mem_gap:.0f} MiB")
ok = rise > 20 and mem_gap < 64 and util_gap < 25
print("VERDICT:", "OK" if ok else "MISMATCH")
PY

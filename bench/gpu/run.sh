#!/usr/bin/env bash
# bench/gpu/run.sh: builds, tests and benchmarks the CUDA backend on a GPU
# machine in one go, printing a summary table last.
#
#   bench/gpu/run.sh [OUT_DIR]          (default OUT_DIR: /tmp/impetus-gpu-results)
#
# Steps: (1) build impetus and test_backend_cuda with -DIMPETUS_CUDA=ON
# (Release, CUDA_ARCH, default 90), unless IMPETUS_GPU_BIN names a folder
# holding both already built; (2) run the CUDA tests; (3) measure the GPU's
# device-to-device copy bandwidth; (4) write random-weight models with
# `impetus synth` (Llama-2-7B and TinyLlama-1.1B shapes) into MODELS_DIR;
# (5) `impetus bench -p 512 -n 128 --device cuda` on each (the first also
# without CUDA graphs, fusion and programmatic launch); (6) time to first
# token of a 512-token prompt on the first model, cold and after the
# server's load-time warm-up (CudaPerf.DISABLED_TimeToFirstToken, one
# process each); (7) the serving load generator with 1 and 64 concurrent
# clients on the first model; (8) partial offload of the first model.
#
# Environment:
#   IMPETUS_GPU_BIN   folder with prebuilt impetus and test_backend_cuda
#   IMPETUS_GPU_LIBS  folder of shared libraries they need that the machine lacks
#   IMPETUS_GPU_DEPS  folder of .deb files unpacked (dpkg -x) for the headers and
#                     libraries a build needs that the machine lacks (SQLite,
#                     ICU, CLI11, OpenSSL)
#   MODELS_DIR        where models are written (default /tmp/impetus-models)
#   BENCH_SETS        "shape:type ..." (default "7b:q4_0 7b:f16 7b:q8_0 1b:q4_0 1b:f16")
#   CONCURRENCY       client counts of the serving-load run (default 1,64; LOAD=0 skips it)
#   REPS              repetitions per bench (default 3)
#   CUDA_ARCH         CMAKE_CUDA_ARCHITECTURES of the build (default 90)
#   PERF_ENVS         settings the kernel timings run under, one process each
#                     (default "DEFAULTS=1"; e.g. "DEFAULTS=1 IMPETUS_CUDA_MMA_MIN=1000")
#   VARIANTS          1 (default): also bench the first model without graphs,
#                     fusion and programmatic launch; 0 skips those
#   TTFT              1 (default): step 6; 0 skips it
#   BENCH_ENVS        extra settings every model is also benched under,
#                     one run each (e.g. "IMPETUS_CUDA_F16_WEIGHTS=0 A=1,B=2")
#   GPU_LAYERS        --gpu-layers values of the partial-offload step (8) on the first
#                     model (default "16 24")
#   LOAD_ENVS         settings the serving-load run goes under, one run each
#                     (default "DEFAULTS=1"; e.g. "DEFAULTS=1 IMPETUS_CUDA_MMA_MAX=8")
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="${1:-/tmp/impetus-gpu-results}"
MODELS_DIR="${MODELS_DIR:-/tmp/impetus-models}"
BENCH_SETS="${BENCH_SETS:-7b:q4_0 7b:f16 7b:q8_0 1b:q4_0 1b:f16}"
REPS="${REPS:-3}"
mkdir -p "$OUT" "$MODELS_DIR"
SUMMARY="$OUT/summary.txt"
: > "$SUMMARY"
note() { echo "$*" | tee -a "$SUMMARY"; }

# ---- 0. libraries the machine lacks
export LD_LIBRARY_PATH="${IMPETUS_GPU_LIBS:+$IMPETUS_GPU_LIBS:}/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# ---- 1. binaries
BIN=""
if [ -n "${IMPETUS_GPU_BIN:-}" ] && "$IMPETUS_GPU_BIN/impetus" --version > /dev/null 2>&1 &&
   "$IMPETUS_GPU_BIN/test_backend_cuda" --gtest_list_tests > /dev/null 2>&1; then
  BIN="$IMPETUS_GPU_BIN"
  note "binaries: prebuilt ($BIN)"
else
  [ -n "${IMPETUS_GPU_BIN:-}" ] && { echo "prebuilt binaries do not run here:"; ldd "$IMPETUS_GPU_BIN/impetus" | grep "not found"; }
  BUILD="$ROOT/build-gpu"
  t0=$(date +%s)
  PREFIX_ARGS=()
  if [ -n "${IMPETUS_GPU_DEPS:-}" ] && ls "$IMPETUS_GPU_DEPS"/*.deb > /dev/null 2>&1; then
    DEPROOT="$IMPETUS_GPU_DEPS/root"
    for f in "$IMPETUS_GPU_DEPS"/*.deb; do dpkg -x "$f" "$DEPROOT"; done
    export LD_LIBRARY_PATH="$DEPROOT/usr/lib/x86_64-linux-gnu:$LD_LIBRARY_PATH"
    PREFIX_ARGS=(-DCMAKE_PREFIX_PATH="$DEPROOT/usr" -DICU_ROOT="$DEPROOT/usr" -DOPENSSL_ROOT_DIR="$DEPROOT/usr"
                 -DSQLite3_INCLUDE_DIR="$DEPROOT/usr/include"
                 -DSQLite3_LIBRARY="$DEPROOT/usr/lib/x86_64-linux-gnu/libsqlite3.so")
  fi
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DIMPETUS_TESTS=ON -DIMPETUS_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCH:-90}" "${PREFIX_ARGS[@]}" > "$OUT/cmake.log" 2>&1 ||
    { tail -30 "$OUT/cmake.log"; exit 1; }
  ninja -C "$BUILD" -j"$(nproc)" impetus test_backend_cuda > "$OUT/build.log" 2>&1 ||
    { grep -B2 -A10 "error" "$OUT/build.log" | head -60; exit 1; }
  mkdir -p "$BUILD/bin"
  cp "$BUILD/src/impetus" "$BUILD/tests/test_backend_cuda" "$BUILD/bin/"
  BIN="$BUILD/bin"
  note "binaries: built in $(( $(date +%s) - t0 )) s"
fi
IMP="$BIN/impetus"

# ---- 2. machine and tests
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem --format=csv,noheader \
  2>/dev/null | sed 's/^/gpu: /' | tee -a "$SUMMARY"
if [ -f "$ROOT/SNAPSHOT" ]; then
  note "source: $(cat "$ROOT/SNAPSHOT")"
else
  note "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+local changes')"
fi
# One process per suite, so that a crash in one leaves the others' results.
: > "$OUT/tests.log"
for suite in CudaMatmul CudaOps 'Families/CudaModel' CudaModelGraphs CudaModelSplit CudaRopeAttention; do
  timeout 300 "$BIN/test_backend_cuda" --gtest_brief=1 --gtest_filter="$suite.*" >> "$OUT/tests.log" 2>&1
  note "tests $suite: exit $?"
done
grep -E "FAILED|Failure|Expected|Which is|which is|rel|error|Skipped|PASSED" "$OUT/tests.log" | head -80
if [ "${PERF:-1}" = 1 ]; then
  for setting in ${PERF_ENVS:-DEFAULTS=1}; do
    note "kernel timings ($setting):"
    env "$setting" timeout 240 "$BIN/test_backend_cuda" --gtest_also_run_disabled_tests \
      --gtest_filter='CudaPerf.*:-CudaPerf.DISABLED_TimeToFirstToken' 2>&1 | grep PERF | tee -a "$SUMMARY"
  done
fi

# ---- 3. bandwidth
"$IMP" bench --memory --device cuda --memory-mib 4096 | tee -a "$SUMMARY"

# ---- 4. + 5. models and benchmarks
bench_one() {  # label model [env]
  local label="$1" model="$2"; shift 2
  local log="$OUT/bench-$label.json"
  if env "$@" timeout 180 "$IMP" bench -m "$model" -p 512 -n 128 -r "$REPS" --device cuda --json > "$log" 2> "$OUT/bench-$label.err"; then
    python3 - "$log" "$label" <<'EOF' | tee -a "$SUMMARY"
import json, sys
j = json.load(open(sys.argv[1]))
pp, tg = j.get("pp") or {}, j.get("tg") or {}
print(f"{sys.argv[2]:<28} {j['model_type']:<20} pp512 {pp.get('tok_s', 0):9.1f} tok/s   "
      f"tg128 {tg.get('tok_s', 0):7.1f} tok/s   weights {tg.get('gbps', 0):7.1f} GB/s")
EOF
  else
    note "$label: bench failed: $(tail -3 "$OUT/bench-$label.err")"
  fi
}

first=1
for set in $BENCH_SETS; do
  shape="${set%%:*}"; type="${set##*:}"
  case "$shape" in 7b) sname=llama2-7b ;; 1b) sname=tinyllama-1.1b ;; *) sname="$shape" ;; esac
  model="$MODELS_DIR/$sname-$type.gguf"
  if [ ! -f "$model" ]; then
    timeout 240 "$IMP" synth -o "$model" --shape "$sname" --type "$type" > "$OUT/synth-$sname-$type.log" 2>&1 ||
      { note "synth $sname $type failed"; continue; }
  fi
  bench_one "$sname-$type" "$model"
  for setting in ${BENCH_ENVS:-}; do  # a setting may join several assignments with commas
    bench_one "$sname-$type-${setting//[^A-Za-z0-9]/_}" "$model" ${setting//,/ }
  done
  if [ "$first" = 1 ]; then
    if [ "${VARIANTS:-1}" = 1 ]; then
      bench_one "$sname-$type-nographs" "$model" IMPETUS_CUDA_GRAPHS=0
      bench_one "$sname-$type-nofusion" "$model" IMPETUS_CUDA_FUSE=0
      bench_one "$sname-$type-nopdl" "$model" IMPETUS_CUDA_PDL=0
      bench_one "$sname-$type-noropeattn" "$model" IMPETUS_CUDA_ROPE_ATTENTION=0
      bench_one "$sname-$type-noswiglufused" "$model" IMPETUS_CUDA_SWIGLU_FUSED=0
    fi
    first=0
    FIRST_MODEL="$model"
  fi
done

# ---- 6. time to first token, cold and after the server's warm-up (one process each)
if [ -n "${FIRST_MODEL:-}" ] && [ "${TTFT:-1}" = 1 ]; then
  for warm in "" 1; do
    env IMPETUS_TTFT_MODEL="$FIRST_MODEL" ${warm:+IMPETUS_TTFT_WARMUP=1} timeout 120 "$BIN/test_backend_cuda" \
      --gtest_also_run_disabled_tests --gtest_filter=CudaPerf.DISABLED_TimeToFirstToken 2>&1 |
      grep PERF | tee -a "$SUMMARY"
  done
fi

# ---- 7. continuous batching: many concurrent streams through the engine
if [ -n "${FIRST_MODEL:-}" ] && [ "${LOAD:-1}" = 1 ]; then
  for setting in ${LOAD_ENVS:-DEFAULTS=1}; do
    env "$setting" timeout 240 "$IMP" bench -m "$FIRST_MODEL" --device cuda --concurrency "${CONCURRENCY:-1,64}" \
      --parallel 64 --prompt-len 128 --gen-len 128 --requests-per-client 1 -b 2048 -c 1024 --kv-cache-size 16384 \
      > "$OUT/load.txt" 2> "$OUT/load.err"
    note "load bench ($setting, exit $?):"
    tee -a "$SUMMARY" < "$OUT/load.txt"
  done
fi
# ---- 8. partial offload: the first model's last N layers on the GPU, the rest on the CPU
if [ -n "${FIRST_MODEL:-}" ]; then
  for n in ${GPU_LAYERS:-16 24}; do
    note "partial offload --gpu-layers $n ($(nproc) CPU threads):"
    timeout 300 "$IMP" bench -m "$FIRST_MODEL" -p 512 -n 128 -r 2 --device cuda --gpu-layers "$n" 2>&1 |
      grep -E "pp512|tg128|error" | tee -a "$SUMMARY"
  done
fi
echo "==== summary"
cat "$SUMMARY"

#!/usr/bin/env bash
# bench/gpu/profile.sh: kernel-level timings of the CUDA backend (the
# DISABLED_ CudaPerf tests of test_backend_cuda) under several settings, and
# per-kernel durations from Nsight Compute (ncu) when it is installed.
#
#   bench/gpu/profile.sh BIN_DIR [SETTINGS...]
#
# BIN_DIR holds test_backend_cuda; each SETTING is an environment
# assignment run as its own pass (default: the backend's defaults, then
# IMPETUS_CUDA_PDL=0, IMPETUS_CUDA_GRAPHS=0, IMPETUS_CUDA_CARVEOUT=100).
set -uo pipefail
BIN="$1"
shift
SETTINGS=("$@")
[ ${#SETTINGS[@]} -eq 0 ] && SETTINGS=(DEFAULTS=1 IMPETUS_CUDA_PDL=0 IMPETUS_CUDA_GRAPHS=0 IMPETUS_CUDA_CARVEOUT=100)
TESTS="CudaPerf.DISABLED_MatrixProducts:CudaPerf.DISABLED_KernelOverhead:CudaPerf.DISABLED_Attention"
for s in "${SETTINGS[@]}"; do
  echo "== $s"
  env "$s" timeout 200 "$BIN/test_backend_cuda" --gtest_also_run_disabled_tests --gtest_filter="$TESTS" 2>&1 |
    grep PERF
done
if command -v ncu > /dev/null; then
  echo "== ncu: per-kernel durations (Q4_0 4096 x 4096, one token; kernels in isolation)"
  timeout 200 ncu --clock-control none --launch-skip 130 --launch-count 4 \
    --metrics gpu__time_duration.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed,dram__bytes_read.sum \
    "$BIN/test_backend_cuda" --gtest_also_run_disabled_tests --gtest_filter=CudaPerf.DISABLED_MatrixProducts 2>&1 |
    grep -E "^  [a-z_]+.*\(|gpu__time|dram__" | sed -E 's/\(int, int, int\)//' | head -24
fi

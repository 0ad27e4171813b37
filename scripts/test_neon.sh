#!/usr/bin/env bash
# Cross-compiles the AArch64 NEON kernels with the sources they need and the
# standalone self-test (tests/neon_selftest/main.cc), then runs it under
# qemu-aarch64 with every CPU feature on (-cpu max: dotprod, fp16). The
# self-test compares each NEON kernel with the scalar reference and prints
# "N passed, M failed". No CMake: one static binary, flags as CMake gives
# them (-march=armv8.2-a+dotprod+fp16 only for *_neon.cc).
#
# Skips (exit 0, with a message) when aarch64-linux-gnu-g++ or qemu-aarch64
# is missing: apt-get install g++-aarch64-linux-gnu qemu-user.
# Incremental: an object is rebuilt only when older than its source or a
# header it includes; output goes to build-neon/ (override: NEON_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

CXX="${NEON_CXX:-aarch64-linux-gnu-g++}"
QEMU="${NEON_QEMU:-}"
if [ -z "$QEMU" ]; then
  for q in qemu-aarch64 qemu-aarch64-static; do
    if command -v "$q" >/dev/null 2>&1; then QEMU="$q"; break; fi
  done
fi
if ! command -v "$CXX" >/dev/null 2>&1; then
  echo "test_neon: SKIPPED: $CXX not found (apt-get install g++-aarch64-linux-gnu)"
  exit 0
fi
if [ -z "$QEMU" ] || ! command -v "$QEMU" >/dev/null 2>&1; then
  echo "test_neon: SKIPPED: qemu-aarch64 not found (apt-get install qemu-user)"
  exit 0
fi

OUT="${NEON_BUILD_DIR:-build-neon}"
mkdir -p "$OUT/obj"
FLAGS=(-std=c++20 -O2 -Wall -Wextra -Wno-missing-field-initializers -Werror -Isrc)
NEON_FLAGS=(-march=armv8.2-a+dotprod+fp16)

shopt -s nullglob globstar
SOURCES=(src/core/*.cc src/tensor/**/*.cc
         src/backend/cpu/isa.cc src/backend/cpu/kernel_table.cc src/backend/cpu/kernels_scalar.cc
         src/backend/cpu/*_neon.cc tests/neon_selftest/main.cc)
for i in "${!SOURCES[@]}"; do  # as CMake: no CUDA sources
  case "${SOURCES[$i]}" in */cuda/*) unset "SOURCES[$i]" ;; esac
done

compile() {  # source object (+ object.d: the headers it read)
  local flags=("${FLAGS[@]}")
  case "$1" in *_neon.cc) flags+=("${NEON_FLAGS[@]}") ;; esac
  "$CXX" "${flags[@]}" -MMD -MF "${2%.o}.d" -c "$1" -o "$2"
}

stale() {  # object: true when missing or older than its source or a header it read
  local obj="$1" dep="${1%.o}.d" f
  [ -f "$obj" ] && [ -f "$dep" ] || return 0
  # shellcheck disable=SC2013  # the .d file is a list of words
  for f in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$dep"); do
    [ "$f" -nt "$obj" ] && return 0
  done
  return 1
}

pids=()
failed=0
n_built=0
objs=()
jobs_max="$(nproc 2>/dev/null || echo 2)"
for src in "${SOURCES[@]}"; do
  obj="$OUT/obj/$(echo "${src%.cc}" | tr '/' '_').o"
  objs+=("$obj")
  stale "$obj" || continue
  n_built=$((n_built + 1))
  compile "$src" "$obj" &
  pids+=($!)
  if [ "${#pids[@]}" -ge "$jobs_max" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
if [ "$failed" -ne 0 ]; then
  echo "test_neon: FAILED to compile"
  exit 1
fi
echo "test_neon: compiled $n_built of ${#objs[@]} sources"

BIN="$OUT/neon_selftest"
"$CXX" -static -pthread -o "$BIN" "${objs[@]}"

echo "test_neon: running $BIN under $QEMU -cpu max"
timeout 150 "$QEMU" -cpu max "$BIN"

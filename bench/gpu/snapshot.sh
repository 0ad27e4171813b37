#!/usr/bin/env bash
# bench/gpu/snapshot.sh OUT.tar.gz [PATH...]: a source tarball of the
# committed tree (HEAD) with the working-tree state of PATHs laid over it
# (default: the CUDA backend's folders), so that a GPU machine builds exactly
# this change and none of the other uncommitted work in the checkout. The
# tarball's SNAPSHOT file names the commit and the paths; run.sh prints it.
#
#   bench/gpu/snapshot.sh .deps/snap.tar.gz
#   (on the GPU machine) mkdir /tmp/snap && tar -xzf .deps/snap.tar.gz -C /tmp/snap &&
#     /tmp/snap/bench/gpu/run.sh OUT_DIR
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$(realpath -m "$1")"
shift
PATHS=("$@")
[ ${#PATHS[@]} -eq 0 ] && PATHS=(src/backend/cuda tests/backend_cuda bench/gpu)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
git -C "$ROOT" archive HEAD | tar -x -C "$tmp"
for p in "${PATHS[@]}"; do
  rm -rf "${tmp:?}/$p"
  if [ -e "$ROOT/$p" ]; then
    mkdir -p "$(dirname "$tmp/$p")"
    cp -r "$ROOT/$p" "$tmp/$p"
  fi
done
echo "working tree on $(git -C "$ROOT" rev-parse --short HEAD): ${PATHS[*]}" > "$tmp/SNAPSHOT"
tar -czf "$OUT" -C "$tmp" .
echo "$OUT: $(du -h "$OUT" | cut -f1), $(cat "$tmp/SNAPSHOT")"

#!/usr/bin/env bash
# Builds the web dashboard (web/ -> web/dist) from the committed lockfile.
#
#   scripts/build_web.sh          install (npm ci, only when the lockfile changed) and build
#   scripts/build_web.sh test     the same, then the Vitest component tests
#   scripts/build_web.sh e2e      the same, then the browser tests against `impetus serve`
#                                 (IMPETUS_BIN picks the binary; screenshots go to
#                                 IMPETUS_SCREENSHOT_DIR, default build/web-screenshots)
#
# Idempotent: npm ci runs only when package-lock.json (or Node) changed since the
# last install, and the build only when a source is newer than web/dist
# (FORCE=1 rebuilds anyway). Needs Node >= 20.19 and npm (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/../web"

mode="${1:-build}"
case "$mode" in build | test | e2e) ;; *)
  echo "usage: $0 [build|test|e2e]" >&2
  exit 2
  ;;
esac

if ! command -v npm >/dev/null; then
  echo "build_web.sh: npm is missing (run scripts/setup.sh)" >&2
  exit 1
fi

# Install exactly what the lockfile says, once per lockfile version.
stamp=node_modules/.impetus-install-stamp
want="$(sha256sum package-lock.json | cut -d' ' -f1) node-$(node --version)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi

# Build when something the bundle depends on is newer than the last build.
built=dist/.build-stamp
inputs=(src public index.html vite.config.ts tsconfig.json package-lock.json)
if [[ "${FORCE:-0}" == 1 || ! -f "$built" || -n "$(find "${inputs[@]}" -newer "$built" -print -quit)" ]]; then
  npm run --silent build
  touch "$built"
else
  echo "build_web.sh: web/dist is up to date"
fi

case "$mode" in
  test) npm test --silent ;;
  e2e) npm run --silent e2e ;;
esac

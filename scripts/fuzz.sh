#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a bounded time
# (default 60 s each; FUZZ_SECONDS=... to change). Fails on any crash.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)" --target gguf_fuzz template_fuzz
work="build/fuzz/corpus"
mkdir -p "$work/gguf"
/usr/bin/python3 fuzz/make_seeds.py "$work/gguf"
echo "fuzz: gguf_fuzz for ${seconds}s"
build/fuzz/fuzz/gguf_fuzz -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 \
  -print_final_stats=1 "$work/gguf" 2>&1 | tail -n 15
echo "fuzz: gguf_fuzz finished without a crash"

# Chat-template interpreter, seeded with the real templates from the test data.
mkdir -p "$work/template"
if [ -d ../shared/testdata/chat_templates ]; then
  cp ../shared/testdata/chat_templates/*.jinja "$work/template/"
fi
printf '%s' "{% for m in messages %}{{ m.role ~ ': ' ~ m.content|trim }}{% endfor %}" > "$work/template/seed.jinja"
echo "fuzz: template_fuzz for ${seconds}s"
build/fuzz/fuzz/template_fuzz -max_total_time="$seconds" -max_len=16384 -rss_limit_mb=4096 \
  -timeout=10 -print_final_stats=1 "$work/template" 2>&1 | tail -n 15
echo "fuzz: template_fuzz finished without a crash"

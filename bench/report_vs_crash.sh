#!/usr/bin/env bash
# Times `kdx report` against crash 8 reaching its first `bt` on the same dump and vmlinux, in the
# same run, and prints the ratio. Usage: bench/report_vs_crash.sh [KDX] [DUMP] [VMLINUX.xz] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
KDX=${1:-build/kdx}
DUMP=${2:-testdata/x86_64/null/vmcore-d31.kdump}
VMLINUX_XZ=${3:-testdata/x86_64/vmlinux.xz}
RUNS=${4:-5}
command -v crash >/dev/null || { echo "crash not installed (apt-get install crash)"; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# crash needs a plain ELF; kdx reads the .xz (its decompressed copy is cached, so warm it once).
xz -dc "$VMLINUX_XZ" >"$tmp/vmlinux"
export KDX_CACHE_DIR="$tmp/cache"
"$KDX" report "$DUMP" "$VMLINUX_XZ" >/dev/null || true
best() { sort -n | head -1; }
t_kdx=$(for i in $(seq "$RUNS"); do /usr/bin/time -f "%e %M" "$KDX" report "$DUMP" "$VMLINUX_XZ" 2>&1 >/dev/null | tail -1; done | best)
t_crash=$(for i in $(seq "$RUNS"); do printf 'bt\nquit\n' | /usr/bin/time -f "%e %M" crash -s "$tmp/vmlinux" "$DUMP" 2>&1 >/dev/null | tail -1; done | best)
read -r kdx_s kdx_kb <<<"$t_kdx"
read -r crash_s crash_kb <<<"$t_crash"
echo "kdx report (whole analysis): ${kdx_s} s, ${kdx_kb} KB peak RSS (best of $RUNS)"
echo "crash start + bt:           ${crash_s} s, ${crash_kb} KB peak RSS (best of $RUNS)"
awk -v a="$crash_s" -v b="$kdx_s" 'BEGIN { if (b > 0) printf "ratio crash/kdx: %.1fx\n", a / b }'

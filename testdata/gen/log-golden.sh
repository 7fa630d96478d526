#!/bin/bash
# kdx fixtures: records crash 8.0.2's `log` outputs for every x86_64 scenario into
# testdata/x86_64/golden/SCENARIO/ (tests/log_golden_test.cpp compares kdx log with them).
# Usage: testdata/gen/log-golden.sh [SCENARIO|all]; env FX as make-fixtures.sh (scratch dir).
#
# Exact command lines (TZ=UTC so -T's dates do not depend on the host):
#   every scenario:  echo 'log -m -d -t' | TZ=UTC crash -s vmlinux testdata/x86_64/S/vmcore-d31.kdump
#                    -> crash-log-m-d-t.txt   (level, text, dev_info dictionary; no timestamps)
#   null only:       echo 'log -T -m -d' | TZ=UTC crash -s vmlinux testdata/x86_64/null/vmcore-d31.kdump
#                    -> crash-log-T-m-d.txt   (human-readable time, level, dictionary)
# Plain `log` (timestamps + text) is already in each crash.txt (golden.sh, section '@@@ log').
# Only crash's answer to the command is kept: its start-up warning ("active task ... not found
# in PID hash", see README) is cut by printing a marker first and keeping what follows it.
# Budget: testdata/ is near its 80 MB limit, so not every option is recorded for every
# scenario; -m -d -t plus crash.txt's `log` carry every field crash prints.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
td=$(cd "$here/.." && pwd)
FX=${FX:-/work/fx}
want=${1:-all}
mkdir -p "$FX"
vm=$FX/golden-vmlinux-x86_64
[ -e "$vm" ] && [ "$vm" -nt "$td/x86_64/vmlinux.xz" ] || xz -dc "$td/x86_64/vmlinux.xz" >"$vm"

record() {   # record DUMP COMMAND OUT
    local dump=$1 cmd=$2 out=$3
    {
        echo "# crash 8.0.2: echo '$cmd' | TZ=UTC crash -s vmlinux testdata/${dump#"$td"/}"
        printf '!echo "@@@ kdx-log-golden"\n%s\n' "$cmd" | TZ=UTC crash -s "$vm" "$dump" 2>&1 \
            | sed -n '/^@@@ kdx-log-golden$/,$p' | sed 1d
    } >"$out" || true   # crash's exit status at the end of its input is not an answer
    # A failed command still leaves crash's exit status alone: a golden must hold records.
    [ "$(grep -c . "$out")" -gt 20 ] || { echo "log-golden: $out looks empty" >&2; exit 1; }
}

for d in "$td"/x86_64/*/; do
    d=${d%/}; scen=$(basename "$d")
    [ "$scen" = golden ] && continue
    [ -e "$d/vmcore-d31.kdump" ] || continue
    [ "$want" = all ] || [ "$want" = "$scen" ] || continue
    g=$td/x86_64/golden/$scen; mkdir -p "$g"
    record "$d/vmcore-d31.kdump" "log -m -d -t" "$g/crash-log-m-d-t.txt"
    [ "$scen" = null ] && record "$d/vmcore-d31.kdump" "log -T -m -d" "$g/crash-log-T-m-d.txt"
    echo "log-golden: x86_64/$scen" >&2
done

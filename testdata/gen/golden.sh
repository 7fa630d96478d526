#!/bin/bash
# kdx fixtures: records golden outputs of crash 8.0.2 (x86_64) and drgn 0.0.22 (both arches)
# for committed dumps into testdata/ARCH/golden/SCENARIO/.
# Usage: testdata/gen/golden.sh [x86_64|arm64|all] [SCENARIO|all]; env FX as make-fixtures.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
td=$(cd "$here/.." && pwd)
FX=${FX:-/work/fx}
arches=${1:-all}; [ "$arches" = all ] && arches="x86_64 arm64"
want=${2:-all}

vmlinux_of() {   # decompress the committed vmlinux once into the scratch dir
    local v=$FX/golden-vmlinux-$1
    [ -e "$v" ] && [ "$v" -nt "$td/$1/vmlinux.xz" ] || xz -dc "$td/$1/vmlinux.xz" >"$v"
    echo "$v"
}

crash_golden() {
    local scen=$1 dump=$2 g=$3 vm ko=$td/x86_64/kdxcrash.ko
    vm=$(vmlinux_of x86_64)
    # Pass 1: what the later commands need (crashed task, module base, faulting function).
    printf 'sys\nbt\nbt -a\nlog\nps\nmod\nmod -s kdxcrash %s\nsym panic\n' "$ko" \
        | crash -s "$vm" "$dump" >"$FX/crash-pass1.txt" 2>&1 || true
    local out=$FX/crash-pass1.txt task modbase func
    task=$(grep -m1 -o 'TASK: [0-9a-f]*' "$out" | cut -d' ' -f2 || true)
    modbase=$(awk '$2=="kdxcrash"{print $1; exit}' "$out" || true)
    modbase=$(grep -m1 -E '^[0-9a-f]+ +kdxcrash ' "$out" | awk '{print $3}' || true)
    func=$(grep -m1 -o 'exception RIP: [A-Za-z0-9_.]*' "$out" | cut -d' ' -f3 || true)
    [ -n "$func" ] || func=$(grep -m1 -oE '#[0-9]+ \[[0-9a-f]+\] (panic|kdx_[a-z_]+|sysrq_handle_crash)' "$out" | awk '{print $3}' || true)
    local cmds=(sys bt "bt -a" log ps mod "mod -s kdxcrash $ko" "sym panic" "vtop panic")
    [ -n "$task" ] && cmds+=("vtop $task")
    [ -n "$modbase" ] && cmds+=("vtop $modbase")
    cmds+=("struct -o task_struct" "struct -o list_head" "struct -o timerqueue_node")
    [ -n "$func" ] && cmds+=("dis -l $func")
    rm -f "$g"/crash-*.txt
    local c f
    for c in "${cmds[@]}"; do
        f=$(echo "$c" | sed -e 's/ -s kdxcrash .*/-s/' -e 's/[^A-Za-z0-9]\+/_/g' -e 's/_$//')
        { echo "# crash 8.0.2: crash -s vmlinux ${dump#"$td"/} <<< 'mod -s kdxcrash kdxcrash.ko; $c'"
          printf 'mod -s kdxcrash %s\n%s\n' "$ko" "$c" | crash -s "$vm" "$dump" 2>&1 \
            | sed -e "s#$FX/golden-vmlinux-x86_64#vmlinux#g" -e "s#$td/#testdata/#g" \
            | awk 'NR==1 && /MODULE.*NAME/ {skip=1} skip && /^$/ {skip=0; next} !skip' ; } >"$g/crash-$f.txt" || true
    done
}

drgn_golden() {
    local arch=$1 dump=$2 g=$3 vm
    vm=$(vmlinux_of "$arch")
    /usr/bin/python3 "$here/drgn-golden.py" "$dump" "$vm" "$td/$arch/kdxcrash.ko" >"$g/drgn.txt" 2>&1 || true
    sed -i -e "s#$FX/golden-vmlinux-$arch#vmlinux#g" -e "s#$td/#testdata/#g" "$g/drgn.txt"
}

for arch in $arches; do
    for d in "$td/$arch"/*/; do
        scen=$(basename "$d")
        [ "$scen" = golden ] && continue
        [ "$want" = all ] || [ "$want" = "$scen" ] || continue
        g=$td/$arch/golden/$scen; mkdir -p "$g"
        if [ "$arch" = x86_64 ] && [ -e "$d/vmcore-d31.kdump" ]; then
            crash_golden "$scen" "$d/vmcore-d31.kdump" "$g"
            drgn_golden "$arch" "$d/vmcore-d31.kdump" "$g"
        elif [ -e "$d/vmcore-d31.kdump" ]; then
            drgn_golden "$arch" "$d/vmcore-d31.kdump" "$g"
        fi
        echo "golden: $arch/$scen" >&2
    done
done

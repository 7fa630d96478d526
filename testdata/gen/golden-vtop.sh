#!/bin/bash
# kdx fixtures: records crash 8.0.2's address-translation outputs on the x86_64 dumps into
# testdata/x86_64/golden/SCENARIO/:
#   crash-vtop.txt      vtop of kernel text (panic), rodata (linux_banner), the direct map (the
#                       crashed task_struct), vmalloc (the first two non-module vmap_areas of
#                       `kmem -v`) and the module base; ptov of the task's physical address
#   crash-rd.txt        rd -s of the crashed task's stack (64 words from bt's frame #0)
#   crash-rd-user.txt   (null only) rd -u of init's text, user stack and argv, read from the
#                       QEMU ELF dump (vmcore.elf.xz: -d 31 dumps exclude user pages), and
#                       rd -u of the same text address in the -d 31 dump (excluded)
# crash 8.0.2 cannot vtop user addresses on 6.1 (it needs mm_struct.mmap, gone with the maple
# tree), so user translations are checked by content (kdx's tests), not against crash.
# Usage: testdata/gen/golden-vtop.sh [SCENARIO|all]; env FX as make-fixtures.sh (scratch).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
td=$(cd "$here/.." && pwd)
FX=${FX:-/work/fx}
want=${1:-all}
mkdir -p "$FX"
vm=$FX/golden-vmlinux-x86_64
[ -e "$vm" ] && [ "$vm" -nt "$td/x86_64/vmlinux.xz" ] || xz -dc "$td/x86_64/vmlinux.xz" >"$vm"
ko=$td/x86_64/kdxcrash.ko

# Runs crash on DUMP with the commands on stdin; `!echo` markers split the outputs.
session() {
    local dump=$1; shift
    { printf 'mod -s kdxcrash %s\n' "$ko"
      for c in "$@"; do printf '!echo "@@@ %s"\n%s\n' "$c" "$c"; done
    } | crash -s "$vm" "$dump" 2>&1 \
        | sed -e "s#$vm#vmlinux#g" -e "s#$td/#testdata/#g" -e "s#$FX/##g" \
        | grep -v '^\[/usr/bin/crash\] error trace' || true
}
header() {  # DUMP-as-shown
    echo "# crash 8.0.2 batch session: crash -s vmlinux $1 < commands (testdata/gen/golden-vtop.sh)"
    echo "# each command's output follows its '@@@ command' line; 'mod -s kdxcrash kdxcrash.ko' ran first"
}

for d in "$td"/x86_64/*/; do
    d=${d%/}; scen=$(basename "$d")
    [ "$scen" = golden ] && continue
    [ "$want" = all ] || [ "$want" = "$scen" ] || continue
    dump=$d/vmcore-d31.kdump
    [ -e "$dump" ] || continue
    g=$td/x86_64/golden/$scen; mkdir -p "$g"
    p1=$FX/vtop-pass1.txt
    printf 'bt\nmod\nsym panic\nsym linux_banner\nkmem -v\n' | crash -s "$vm" "$dump" >"$p1" 2>&1 || true
    task=$(grep -m1 -o 'TASK: [0-9a-f]*' "$p1" | cut -d' ' -f2 || true)
    stack=$(grep -m1 -oE '^ #0 \[[0-9a-f]+\]' "$p1" | tr -d '[]' | awk '{print $2}' || true)
    modbase=$(grep -m1 -E '^[0-9a-f]+ +kdxcrash ' "$p1" | awk '{print $3}' || true)
    text=$(grep -m1 -E '^[0-9a-f]+ \(T\) panic ' "$p1" | cut -d' ' -f1 || true)
    rodata=$(grep -m1 -E '^[0-9a-f]+ \([A-Za-z]\) linux_banner' "$p1" | cut -d' ' -f1 || true)
    # kmem -v: VMAP_AREA VM_STRUCT START - END SIZE; module areas start with ffffffffc.
    vmalloc=$(awk '/^ *[0-9a-f]+ +[0-9a-f]+ +[0-9a-f]+ - [0-9a-f]+ +[0-9]+$/ && $3 !~ /^ffffffff/ {print $3; if (++n == 2) exit}' "$p1")
    cmds=()
    for a in "$text" "$rodata" "$task" $vmalloc "$modbase"; do [ -n "$a" ] && cmds+=("vtop $a"); done
    out=$(session "$dump" "${cmds[@]}")
    taskphys=$(printf '%s\n' "$out" | awk -v t="$task" '$1 == t && NF == 2 {print $2; exit}')
    [ -n "$taskphys" ] && out+=$'\n'$(session "$dump" "ptov $taskphys" | sed -n '/^@@@/,$p')
    { header "testdata/x86_64/$scen/vmcore-d31.kdump"
      echo "# addresses: text=panic rodata=linux_banner direct-map=crashed task $task vmalloc=first two kmem -v areas module=kdxcrash base"
      printf '%s\n' "$out"; } >"$g/crash-vtop.txt"
    { header "testdata/x86_64/$scen/vmcore-d31.kdump"
      echo "# the crashed task's stack from bt's frame #0 ($stack), task $task"
      session "$dump" "rd -s $stack 64"; } >"$g/crash-rd.txt"
    if [ "$scen" = null ]; then
        elf=$FX/null-vmcore.elf
        [ -e "$elf" ] && [ "$elf" -nt "$d/vmcore.elf.xz" ] || xz -dc "$d/vmcore.elf.xz" >"$elf"
        p2=$FX/vtop-pass2.txt
        printf 'struct task_struct.mm %s\n' "$task" | crash -s "$vm" "$dump" >"$p2" 2>&1 || true
        mm=$(grep -m1 -oE 'mm = 0x[0-9a-f]+' "$p2" | cut -d' ' -f3)
        printf 'struct mm_struct.start_code,start_stack,arg_start,arg_end,pgd %s\n' "$mm" \
            | crash -s "$vm" "$dump" >"$p2" 2>&1 || true
        val() { printf '%x' "$(grep -m1 -E "^ +$1 = " "$p2" | sed -E 's/.*= //; s/,$//')"; }
        sc=$(val start_code); ss=$(val start_stack); as=$(val arg_start)
        { header "testdata/x86_64/null/vmcore.elf.xz (decompressed; QEMU ELF, every page)"
          echo "# init (PID 1, task $task, mm $mm): start_code=$sc start_stack=$ss arg_start=$as"
          session "$elf" "rd -u $sc 8" "rd -u $ss 8" "rd -a -u $as"
          echo "# the same text address in testdata/x86_64/null/vmcore-d31.kdump (makedumpfile -d 31 excludes user pages)"
          session "$dump" "rd -u $sc 1"; } >"$g/crash-rd-user.txt"
    fi
    echo "golden-vtop: $scen" >&2
done

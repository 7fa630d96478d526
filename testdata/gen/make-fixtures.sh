#!/bin/bash
# kdx fixtures generator: builds the kernels and crash module, boots each scenario under QEMU
# (TCG), dumps the panicked guest, derives makedumpfile variants and installs into testdata/.
#
# Usage: testdata/gen/make-fixtures.sh [x86_64|arm64|all] [SCENARIO|all]
# Env:   FX=/work/fx   scratch dir (kernel trees, QEMU runs); never inside the repository
#        REGEN=1       overwrite fixtures already in testdata/ (default: keep them; every
#                      regeneration adds binaries to git history forever)
#        SKIP_KERNEL=1 do not re-run make in an existing kernel tree
#        TIMEOUT=N     seconds a QEMU run may take before it is stopped (default 300/900)
# Idempotent: finished steps (kernel build, QEMU runs, conversions) are skipped on rerun.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
td=$repo/testdata
FX=${FX:-/work/fx}
REGEN=${REGEN:-0}
ALL_SCENARIOS="null rodata ro_after_init hrtimer_uaf bug_on list_corrupt panic timer_fault kthread_fault sysrq smp_null null_nokaslr"
# The one scenario per arch that keeps every format variant (and is the README's sample).
FULL_SCENARIO=null

arches=${1:-all}; [ "$arches" = all ] && arches="x86_64 arm64"
scenarios=${2:-all}; [ "$scenarios" = all ] && scenarios=$ALL_SCENARIOS
mkdir -p "$FX"
case $FX/ in "$repo"/*) echo "FX must be outside the repository" >&2; exit 2 ;; esac

log() { echo "== $*" >&2; }

# Installs $1 as $2 unless $2 is already committed (binary fixtures are generated once).
install_fixture() {
    local src=$1 dst=$2
    if [ -e "$dst" ] && [ "$REGEN" != 1 ]; then
        cmp -s "$src" "$dst" || log "keeping existing $dst (REGEN=1 to replace)"
        return 0
    fi
    mkdir -p "$(dirname "$dst")"
    cp "$src" "$dst"
    log "installed ${dst#"$repo"/} ($(du -h "$dst" | cut -f1))"
}

kernel_dir() { echo "$FX/build-$1"; }
make_args() {
    case $1 in
        x86_64) echo "ARCH=x86_64" ;;
        arm64)  echo "ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-" ;;
    esac
}

build_module() {
    local arch=$1 kdir mdir
    kdir=$(kernel_dir "$arch"); mdir=$FX/mod-$arch
    mkdir -p "$mdir"
    cp -u "$here/kdxcrash/kdxcrash.c" "$here/kdxcrash/Makefile" "$mdir/"
    # shellcheck disable=SC2046
    nice -n 10 make -C "$kdir" $(make_args "$arch") M="$mdir" modules >"$mdir/build.log" 2>&1 \
        || { cat "$mdir/build.log" >&2; exit 1; }
}

# One initramfs per arch: a nolibc /init (a 2 MB busybox would land in every dump) and the
# module. The scenario arrives as the kernel parameter kdxscenario=NAME, which the kernel
# hands to /init as an environment variable.
build_initramfs() {
    local arch=$1 out=$FX/initramfs-$arch.cpio.gz cc=gcc nolibc=$FX/linux-source-6.1/tools/include/nolibc
    [ "$arch" = arm64 ] && cc=aarch64-linux-gnu-gcc
    $cc -static -nostdlib -Os -fno-asynchronous-unwind-tables -fno-ident -fno-stack-protector -s \
        -include "$nolibc/nolibc.h" -I"$nolibc" -o "$FX/kdxinit-$arch" "$here/init/kdxinit.c" -lgcc
    cat >"$FX/initramfs-$arch.list" <<LIST
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
file /init $FX/kdxinit-$arch 0755 0 0
file /kdxcrash.ko $FX/mod-$arch/kdxcrash.ko 0644 0 0
LIST
    "$(kernel_dir "$arch")/usr/gen_init_cpio" -t 0 "$FX/initramfs-$arch.list" | gzip -9n >"$out"
}

# Runs one scenario; leaves console.log and QEMU's dumps in $FX/out/ARCH/SCENARIO.
run_scenario() {
    local arch=$1 scen=$2 od=$FX/out/$1/$2 kdir smp=1 extra="" modscen=$2 qemu fmts
    kdir=$(kernel_dir "$arch")
    if [ -e "$od/.done" ] && [ "$REGEN" != 1 ]; then return 0; fi
    rm -rf "$od"; mkdir -p "$od"
    case $scen in
        smp_null)     smp=2 ;;
        null_nokaslr) extra="nokaslr"; modscen=null ;;
        hrtimer_uaf)  extra="slub_debug=FZPU" ;;   # poison freed objects (seed 002)
        list_corrupt) extra="panic_on_warn=1" ;;   # DEBUG_LIST reports with a WARN
    esac
    local common=(-m 64M -smp "$smp" -display none -monitor none -no-reboot
                  -serial "file:$od/console.log" -qmp "unix:$od/qmp.sock,server=on,wait=off"
                  -device vmcoreinfo -device pvpanic-pci -action panic=pause
                  -initrd "$FX/initramfs-$arch.cpio.gz")
    local cmdline="oops=panic panic=0 init_on_free=1 kdxscenario=$modscen $extra"
    local timeout=${TIMEOUT:-300}
    case $arch in
        x86_64)
            # No ACPI in this kernel: fw_cfg must be named on the command line. no_timer_check:
            # on a loaded host TCG can fail the IO-APIC timer check ("IO-APIC + timer doesn't work").
            qemu=(qemu-system-x86_64 -M pc -cpu qemu64 -kernel "$kdir/arch/x86/boot/bzImage"
                  -append "console=ttyS0 qemu_fw_cfg.ioport=12@0x510:0:1:4 no_timer_check $cmdline")
            fmts=(elf elf,paging kdump-zlib) ;;
        arm64)
            timeout=${TIMEOUT:-900}
            # -cpu max: pointer authentication on, so return addresses are PAC-signed.
            qemu=(qemu-system-aarch64 -M virt -cpu max,pauth-impdef=on -kernel "$kdir/arch/arm64/boot/Image"
                  -append "console=ttyAMA0 $cmdline")
            fmts=(elf kdump-zlib) ;;   # QEMU 7.2 ignores paging=true on arm64
    esac
    log "boot $arch/$scen"
    timeout --kill-after=10 "$((timeout + 60))" "${qemu[@]}" "${common[@]}" &
    local qpid=$!
    local rc=0
    /usr/bin/python3 "$here/qmp-dump.py" "$od/qmp.sock" "$timeout" "$od/vmcore" "${fmts[@]}" >&2 || rc=$?
    wait "$qpid" || true
    rm -f "$od/qmp.sock"
    # Drop the host-specific noise QEMU may add; keep the guest's console as it printed it.
    if [ $rc != 0 ]; then log "$arch/$scen: guest did not panic (rc=$rc); see $od/console.log"; return 1; fi
    touch "$od/.done"
}

# makedumpfile variants (x86_64 only: Debian's makedumpfile targets x86_64).
convert_x86() {
    local scen=$1 od=$FX/out/x86_64/$1
    [ -e "$od/vmcore.elf-fixed" ] || /usr/bin/python3 "$here/elf-fixup.py" "$od/vmcore.elf" "$od/vmcore.elf-fixed" >&2
    local md="makedumpfile --message-level 7"
    [ -e "$od/vmcore-d31.kdump" ] || $md -c -d 31 "$od/vmcore.elf-fixed" "$od/vmcore-d31.kdump" >&2
    [ "$scen" = "$FULL_SCENARIO" ] || return 0
    [ -e "$od/vmcore-d31-lzo.kdump" ] || $md -l -d 31 "$od/vmcore.elf-fixed" "$od/vmcore-d31-lzo.kdump" >&2
    [ -e "$od/vmcore-d0-zlib.kdump" ] || $md -c -d 0 "$od/vmcore.elf-fixed" "$od/vmcore-d0-zlib.kdump" >&2
    [ -e "$od/vmcore-d31.flat" ] || $md -F -c -d 31 "$od/vmcore.elf-fixed" >"$od/vmcore-d31.flat"
    [ -e "$od/vmcore-d31-split.1" ] || $md -c -d 31 --split "$od/vmcore.elf-fixed" "$od/vmcore-d31-split.1" "$od/vmcore-d31-split.2" >&2
    [ -e "$od/vmcore-d31.elf" ] || $md -E -d 31 "$od/vmcore.elf-fixed" "$od/vmcore-d31.elf" >&2
    [ -e "$od/vmcore-qemu-zlib.kdump" ] || $md -R "$od/vmcore-qemu-zlib.kdump" <"$od/vmcore.kdump-zlib" >&2
    local f
    for f in vmcore.elf vmcore.elf-paging vmcore-d31.elf; do
        [ -e "$od/$f.xz" ] || xz -9 -T1 -k "$od/$f"
    done
}

install_arch() {
    local arch=$1 kdir a=$td/$1
    kdir=$(kernel_dir "$arch")
    local sv=$FX/vmlinux-$arch.stripped
    if [ ! -e "$sv.xz" ] || [ "$kdir/vmlinux" -nt "$sv.xz" ]; then
        # x86_64's --emit-relocs leaves ~half the file in .rela.* sections no debugger needs.
        if [ "$arch" = x86_64 ]; then objcopy --remove-section='.rela.*' "$kdir/vmlinux" "$sv"
        else cp "$kdir/vmlinux" "$sv"; fi
        rm -f "$sv.xz"; xz -9 -T1 -k "$sv"
    fi
    install_fixture "$sv.xz" "$a/vmlinux.xz"
    install_fixture "$FX/mod-$arch/kdxcrash.ko" "$a/kdxcrash.ko"
}

install_scenario() {
    local arch=$1 scen=$2 od=$FX/out/$1/$2 d=$td/$1/$2
    install_fixture "$od/console.log" "$d/console.log"
    if [ "$arch" = x86_64 ]; then
        install_fixture "$od/vmcore-d31.kdump" "$d/vmcore-d31.kdump"
        if [ "$scen" = "$FULL_SCENARIO" ]; then
            local f
            for f in vmcore-d31-lzo.kdump vmcore-d31.flat vmcore-d31-split.1 \
                     vmcore-d31-split.2 vmcore-d31.elf.xz vmcore.elf.xz vmcore.elf-paging.xz; do
                install_fixture "$od/$f" "$d/$f"
            done
        fi
    else
        install_fixture "$od/vmcore.kdump-zlib" "$d/vmcore-qemu-zlib.flat"
        if [ "$scen" = "$FULL_SCENARIO" ]; then
            [ -e "$od/vmcore.elf.xz" ] || xz -9 -T1 -k "$od/vmcore.elf"
            install_fixture "$od/vmcore.elf.xz" "$d/vmcore.elf.xz"
        fi
    fi
}

for arch in $arches; do
    log "kernel $arch"
    # SKIP_KERNEL=1: trust an existing tree (a no-op make takes minutes on a busy host).
    [ "${SKIP_KERNEL:-0}" = 1 ] && [ -e "$(kernel_dir "$arch")/vmlinux" ] || "$here/build-kernel.sh" "$arch" >&2
    build_module "$arch"
    build_initramfs "$arch"
    install_arch "$arch"
    for scen in $scenarios; do
        run_scenario "$arch" "$scen" || continue
        [ "$arch" = x86_64 ] && convert_x86 "$scen"
        install_scenario "$arch" "$scen"
    done
done
du -sh "$td"

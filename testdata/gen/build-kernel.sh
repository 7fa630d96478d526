#!/bin/bash
# Builds one fixture kernel (tinyconfig + config fragments) out of tree; verifies every fragment line.
# Usage: build-kernel.sh ARCH   (x86_64 | arm64); env FX (scratch dir, default /work/fx).
set -euo pipefail
arch=${1:?arch}
here=$(cd "$(dirname "$0")" && pwd)
FX=${FX:-/work/fx}
src=$FX/linux-source-6.1
out=$FX/build-$arch
if [ ! -d "$src" ]; then
    tar -C "$FX" -xf /usr/src/linux-source-6.1.tar.xz
fi
case $arch in
    x86_64) mk=(ARCH=x86_64) ;;
    arm64)  mk=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-) ;;
    *) echo "unknown arch $arch" >&2; exit 2 ;;
esac
mkdir -p "$out"
frags=("$here/config/common.config" "$here/config/$arch.config")
# Reconfigure only when the fragments changed, so reruns are incremental.
stamp=$out/.kdx-fragments
if ! cat "${frags[@]}" | cmp -s - "$stamp" 2>/dev/null; then
    make -C "$src" O="$out" "${mk[@]}" tinyconfig >/dev/null
    "$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${frags[@]}" >/dev/null
    make -C "$src" O="$out" "${mk[@]}" olddefconfig >/dev/null
    cat "${frags[@]}" > "$stamp"
fi
# Every fragment line must have taken effect (a silently dropped option is the usual trap).
bad=0
while IFS= read -r line; do
    case $line in
        CONFIG_*=*) grep -qxF "$line" "$out/.config" || { echo "config: not applied: $line" >&2; bad=1; } ;;
        "# CONFIG_"*" is not set")
            opt=${line#\# }; opt=${opt%% *}
            grep -q "^$opt=" "$out/.config" && { echo "config: still set: $opt" >&2; bad=1; } ;;
    esac
done < <(cat "${frags[@]}")
[ $bad = 0 ] || { rm -f "$stamp"; exit 1; }
nice -n 10 make -C "$src" O="$out" "${mk[@]}" -j2 vmlinux modules_prepare $( [ "$arch" = x86_64 ] && echo bzImage || echo Image ) >"$out/build.log" 2>&1 \
    || { tail -30 "$out/build.log" >&2; exit 1; }
echo "$arch kernel: $(cat "$out/include/config/kernel.release")"

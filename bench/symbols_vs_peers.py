#!/usr/bin/python3
# Symbolizer benchmark: kdx vs drgn and gdb in the same run (1,000 addresses -> symbol+line; first struct task_struct -o).
"""Usage: symbols_vs_peers.py SYMBOLS_BENCH VMLINUX [KDX]

SYMBOLS_BENCH is build/bench/symbols_bench, KDX the kdx binary (default: next to it in ../kdx).
Prints wall time and peak RSS of each tool for each task and kdx's ratio to each peer.
Each tool runs in a fresh process, as a user would start it; the page cache is warm for all
(the vmlinux is read once before the first measurement).
"""
import os
import random
import subprocess
import sys
import tempfile

DRGN_RESOLVE = r'''
import drgn, sys
prog = drgn.Program(drgn.Platform(drgn.Architecture.X86_64, drgn.PlatformFlags.IS_64_BIT | drgn.PlatformFlags.IS_LITTLE_ENDIAN))
prog.load_debug_info([sys.argv[1]])
n = 0
for line in open(sys.argv[2]):
    try:
        prog.symbol(int(line, 16)); n += 1
    except LookupError:
        pass
print("drgn symbols", n)
'''

DRGN_STRUCT = r'''
import drgn, sys
prog = drgn.Program(drgn.Platform(drgn.Architecture.X86_64, drgn.PlatformFlags.IS_64_BIT | drgn.PlatformFlags.IS_LITTLE_ENDIAN))
prog.load_debug_info([sys.argv[1]])
t = prog.type("struct task_struct")
for m in t.members:
    print(m.bit_offset // 8, m.name)
print("SIZE:", t.size)
'''


def timed(cmd):
    """Runs cmd under /usr/bin/time; returns (seconds, max_rss_kb, stdout)."""
    with tempfile.NamedTemporaryFile("r") as tf:
        p = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", tf.name] + cmd,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        secs, rss = tf.read().split()[-2:]
    if p.returncode != 0:
        print(f"  (exit {p.returncode}: {' '.join(cmd[:3])} ...)")
    return float(secs), int(rss), p.stdout


def pick_addresses(vmlinux, n=1000, seed=1):
    out = subprocess.run(["nm", "-S", "--defined-only", vmlinux], stdout=subprocess.PIPE, text=True).stdout
    funcs = []
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4 and f[2] in "Tt" and int(f[1], 16) > 0:
            funcs.append((int(f[0], 16), int(f[1], 16)))
    rnd = random.Random(seed)
    return [a + rnd.randrange(s) for a, s in rnd.sample(funcs, n)]


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    bench, vmlinux = sys.argv[1], sys.argv[2]
    kdx = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(os.path.abspath(bench)), "..", "kdx")
    subprocess.run(["cat", vmlinux], stdout=subprocess.DEVNULL)  # warm the page cache for everyone
    addrs = pick_addresses(vmlinux)
    with tempfile.TemporaryDirectory() as tmp:
        af = os.path.join(tmp, "addrs")
        with open(af, "w") as f:
            f.write("\n".join(f"{a:#x}" for a in addrs) + "\n")
        gdbcmds = os.path.join(tmp, "gdb.cmds")
        with open(gdbcmds, "w") as f:
            for a in addrs:
                f.write(f"info symbol {a:#x}\ninfo line *{a:#x}\n")
        dr = os.path.join(tmp, "drgn_resolve.py")
        ds = os.path.join(tmp, "drgn_struct.py")
        open(dr, "w").write(DRGN_RESOLVE)
        open(ds, "w").write(DRGN_STRUCT)

        print(f"vmlinux: {vmlinux} ({os.path.getsize(vmlinux) >> 20} MB)")
        print("task 1: 1,000 random text addresses -> symbol+offset and file:line (drgn 0.0.22: symbol only)")
        k = timed([bench, "resolve", vmlinux, af])
        print(f"  kdx   {k[0]:7.2f} s {k[1] >> 10:6d} MB   {k[2].strip()}")
        ki = timed([bench, "resolve-inline", vmlinux, af])
        print(f"  kdx+inline chains {ki[0]:7.2f} s {ki[1] >> 10:6d} MB")
        d = timed(["/usr/bin/python3", dr, vmlinux, af])
        print(f"  drgn  {d[0]:7.2f} s {d[1] >> 10:6d} MB   ratio drgn/kdx {d[0] / max(k[0], 1e-3):.1f}x")
        g = timed(["gdb", "-nx", "-batch", "-x", gdbcmds, vmlinux])
        print(f"  gdb   {g[0]:7.2f} s {g[1] >> 10:6d} MB   ratio gdb/kdx {g[0] / max(k[0], 1e-3):.1f}x")

        print("task 2: first `struct task_struct -o` from a cold process")
        k = timed([kdx, "struct", "task_struct", "-o", vmlinux])
        print(f"  kdx   {k[0]:7.2f} s {k[1] >> 10:6d} MB   ({len(k[2].splitlines())} lines)")
        d = timed(["/usr/bin/python3", ds, vmlinux])
        print(f"  drgn  {d[0]:7.2f} s {d[1] >> 10:6d} MB   ratio drgn/kdx {d[0] / max(k[0], 1e-3):.1f}x")
        g = timed(["gdb", "-nx", "-batch", "-ex", "ptype/o struct task_struct", vmlinux])
        print(f"  gdb   {g[0]:7.2f} s {g[1] >> 10:6d} MB   ratio gdb/kdx {g[0] / max(k[0], 1e-3):.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

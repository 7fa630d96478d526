#!/usr/bin/python3
# Times drgn reading one byte at each address of a list (its page-table translation plus a 1-byte read) on a vmcore, for kdx's translate_bench.
import sys
import time

import drgn


def main():
    core, addr_file = sys.argv[1], sys.argv[2]
    addrs = [int(line, 16) for line in open(addr_file)]
    prog = drgn.Program()
    prog.set_core_dump(core)
    read = prog.read
    # Python's own loop cost, so the ratio can be read both ways.
    t0 = time.perf_counter_ns()
    for a in addrs:
        pass
    loop_ns = time.perf_counter_ns() - t0
    failures = 0
    t0 = time.perf_counter_ns()
    for a in addrs:
        try:
            read(a, 1)
        except drgn.FaultError:
            failures += 1
    total_ns = time.perf_counter_ns() - t0
    print(f"{total_ns / len(addrs):.1f} {loop_ns / len(addrs):.1f} {failures}")


if __name__ == "__main__":
    main()

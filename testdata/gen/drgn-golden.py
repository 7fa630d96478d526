#!/usr/bin/env python3
"""kdx fixtures: prints drgn's view of a dump (crashed thread's stack and a few reads).

Usage: drgn-golden.py DUMP VMLINUX KDXCRASH_KO
"""
import sys

import drgn
from drgn import FaultError
from drgn.helpers.linux.pid import for_each_task


def main():
    dump, vmlinux, ko = sys.argv[1:4]
    prog = drgn.Program()
    prog.set_core_dump(dump)
    try:
        prog.load_debug_info([vmlinux, ko])
    except drgn.MissingDebugInfoError as e:
        print(f"# drgn warning: {e}")
    print(f"# drgn {drgn.__version__}: {dump.split('testdata/')[-1]}")

    def show(label, fn):
        try:
            print(f"{label} = {fn()}")
        except (FaultError, LookupError, ValueError) as e:
            print(f"{label} = <error: {e}>")

    show("UTS_RELEASE", lambda: prog["init_uts_ns"].name.release.string_().decode())
    show("vmcoreinfo KERNELOFFSET", lambda: next(
        (l.split(b"=")[1].decode() for l in prog["vmcoreinfo_data"].string_().split(b"\n")
         if l.startswith(b"KERNELOFFSET=")), "<none>"))
    show("jiffies_64", lambda: hex(prog["jiffies_64"].value_()))
    show("panic_cpu", lambda: prog["panic_cpu"].counter.value_())
    show("nr_cpu_ids", lambda: prog["nr_cpu_ids"].value_())
    show("kdx_magic", lambda: hex(prog["kdx_magic"].value_()))
    show("&kdx_magic", lambda: hex(prog["kdx_magic"].address_))
    show("kdx_live_obj->magic", lambda: hex(prog["kdx_live_obj"].magic.value_()))
    show("kdx_live_obj->name", lambda: prog["kdx_live_obj"].name.string_().decode())
    show("sizeof(struct task_struct)", lambda: drgn.sizeof(prog.type("struct task_struct")))
    show("offsetof(struct task_struct, tasks)",
         lambda: drgn.offsetof(prog.type("struct task_struct"), "tasks"))
    tasks = []
    try:
        for t in for_each_task(prog):
            tasks.append(f"{t.pid.value_():>5} {t.comm.string_().decode()}")
    except FaultError as e:
        tasks.append(f"<error: {e}>")
    print(f"tasks ({len(tasks)}):")
    for t in tasks:
        print("  " + t)
    try:
        thread = prog.crashed_thread()
        print(f"crashed thread: tid {thread.tid} cpu {prog['panic_cpu'].counter.value_()}")
        print(thread.stack_trace())
    except (FaultError, ValueError, LookupError) as e:
        print(f"crashed thread: <error: {e}>")


if __name__ == "__main__":
    main()

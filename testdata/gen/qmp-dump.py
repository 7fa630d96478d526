#!/usr/bin/env python3
"""kdx fixtures: waits on QEMU's QMP socket until the guest panics, then dumps its memory.

Usage: qmp-dump.py SOCKET TIMEOUT OUT_PREFIX FORMAT[,paging]...
Each FORMAT is a dump-guest-memory format (elf, kdump-zlib); ",paging" sets paging=true.
Writes OUT_PREFIX.<format>[-paging] for each, then quits QEMU. Exit 0 on success,
3 if the guest did not panic within TIMEOUT seconds (QEMU is quit anyway).
"""
import json, os, socket, sys, time


class Qmp:
    def __init__(self, path, timeout):
        deadline = time.time() + 30
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        self.f = self.s.makefile("rw")
        self.read()  # greeting
        self.cmd("qmp_capabilities")

    def read(self):
        line = self.f.readline()
        if not line:
            raise EOFError("QMP closed")
        return json.loads(line)

    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.f.flush()
        while True:
            msg = self.read()
            if "event" in msg:
                continue
            if "error" in msg:
                raise RuntimeError(f"{name}: {msg['error']}")
            return msg.get("return")


def main():
    sock, timeout, prefix = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    fmts = sys.argv[4:]
    q = Qmp(sock, timeout)
    deadline = time.time() + timeout
    status = None
    while time.time() < deadline:
        status = q.cmd("query-status")["status"]
        if status in ("guest-panicked", "internal-error", "shutdown"):
            break
        time.sleep(0.5)
    if status != "guest-panicked":
        # No pvpanic pause (or a hang): stop the VM where it is so a dump is still possible.
        print(f"qmp-dump: status {status} after {timeout}s", file=sys.stderr)
        if status not in ("internal-error", "shutdown"):
            q.cmd("stop")
    for spec in fmts:
        fmt, _, opt = spec.partition(",")
        out = f"{prefix}.{fmt}" + ("-paging" if opt == "paging" else "")
        if os.path.exists(out):
            os.unlink(out)
        q.cmd("dump-guest-memory", paging=(opt == "paging"), protocol="file:" + out,
              format=fmt)
        print(f"qmp-dump: wrote {out} ({os.path.getsize(out)} bytes)")
    try:
        q.cmd("quit")
    except (EOFError, OSError):
        pass
    return 0 if status == "guest-panicked" else 3


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""kdx fixtures: rewrites a QEMU 7.2 ELF vmcore so makedumpfile 1.7.2 can read it.

QEMU 7.2 writes e_ehsize = 8 and puts the program headers at offset 192; makedumpfile
expects them right after a 64-byte header ("Can't get the number of PT_LOAD"). This copies
the file with the headers moved to offset 64 and every p_offset shifted accordingly.
Usage: elf-fixup.py IN OUT
"""
import shutil, struct, sys

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(src, "rb") as f:
        eh = list(EHDR.unpack(f.read(EHDR.size)))
        ident = eh[0]
        if ident[:4] != b"\x7fELF" or ident[4] != 2 or ident[5] != 1:
            sys.exit("elf-fixup: not a little-endian ELF64 file")
        phoff, phentsize, phnum = eh[5], eh[9], eh[10]
        if phentsize != PHDR.size:
            sys.exit(f"elf-fixup: e_phentsize {phentsize}, expected {PHDR.size}")
        f.seek(phoff)
        phs = [list(PHDR.unpack(f.read(PHDR.size))) for _ in range(phnum)]
        first = min(p[2] for p in phs if p[6] > 0)
        new_first = (64 + phnum * PHDR.size + 15) & ~15
        delta = new_first - first
        for p in phs:
            if p[6] > 0 or p[2] >= first:
                p[2] += delta
        eh[5], eh[8] = 64, 64          # e_phoff, e_ehsize
        if eh[6] >= first:             # e_shoff (present when phnum overflows)
            eh[6] += delta
        with open(dst, "wb") as o:
            o.write(EHDR.pack(*eh))
            for p in phs:
                o.write(PHDR.pack(*p))
            o.write(b"\0" * (new_first - o.tell()))
            f.seek(first)
            shutil.copyfileobj(f, o, 1 << 20)
    print(f"elf-fixup: {phnum} program headers moved from {phoff} to 64, data shifted by {delta}")


if __name__ == "__main__":
    main()

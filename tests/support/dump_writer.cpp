// Synthetic dump writers: every field written at its documented offset by hand, never through reader structs.
#include "support/dump_writer.hpp"

#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace kdx::test {

void put_le(Bytes& b, uint64_t off, uint64_t v, int n) {
  if (b.size() < off + n) b.resize(off + n);
  for (int i = 0; i < n; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put_be(Bytes& b, uint64_t off, uint64_t v, int n) {
  if (b.size() < off + n) b.resize(off + n);
  for (int i = 0; i < n; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * (n - 1 - i)));
}
uint64_t get_le(const Bytes& b, uint64_t off, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | b.at(off + i);
  return v;
}
static void put_bytes(Bytes& b, uint64_t off, const void* p, size_t n) {
  if (b.size() < off + n) b.resize(off + n);
  if (n) std::memcpy(b.data() + off, p, n);
}
static uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

Bytes pattern_page(uint64_t pfn, uint64_t size, uint32_t seed) {
  Bytes p(size);
  uint32_t x = static_cast<uint32_t>(pfn * 2654435761u) ^ seed;
  for (uint64_t i = 0; i < size; i += 16) {
    x = x * 1103515245u + 12345u;
    // Runs of a repeated byte plus a few varying ones: compressible, but per-page distinct.
    uint8_t fill = static_cast<uint8_t>('a' + (x >> 16) % 26);
    for (uint64_t j = 0; j < 16 && i + j < size; ++j) p[i + j] = j < 12 ? fill : static_cast<uint8_t>(x >> (j * 2));
  }
  put_le(p, 0, pfn, 8);  // the pfn itself at the start of each page, to catch misplaced pages
  return p;
}

std::string make_vmcoreinfo(const std::string& arch, uint64_t page_size, const std::string& release) {
  std::string s = "OSRELEASE=" + release + "\nBUILD-ID=0123456789abcdef0123456789abcdef01234567\nPAGESIZE=" +
                  std::to_string(page_size) + "\nSYMBOL(init_uts_ns)=ffffffff82a1e5c0\nSYMBOL(prb)=ffffffff82b0a8b8\n"
                  "SIZE(printk_ringbuffer)=80\nOFFSET(printk_ringbuffer.desc_ring)=0\nLENGTH(mem_section)=2048\n";
  if (arch == "arm64") {
    s += "NUMBER(VA_BITS)=48\nNUMBER(kimage_voffset)=0xffff7fff77e00000\nNUMBER(PHYS_OFFSET)=0xffffa87e40000000\n"
         "KERNELOFFSET=2f800000\n";
  } else {
    s += "NUMBER(phys_base)=18874368\nSYMBOL(init_top_pgt)=ffffffff82a0a000\nNUMBER(pgtable_l5_enabled)=0\n"
         "KERNELOFFSET=1e000000\n";
  }
  s += "CRASHTIME=1733400000\nCONFIG_KALLSYMS=y\n";
  return s;
}

SynthMemory make_memory(const std::string& arch, uint64_t npages, uint64_t page_size, uint32_t seed) {
  SynthMemory m;
  m.arch = arch;
  m.page_size = page_size;
  m.max_pfn = npages;
  uint64_t hole_lo = npages / 2, hole_hi = npages / 2 + npages / 8;
  for (uint64_t pfn = 0; pfn < npages; ++pfn) {
    if (pfn >= hole_lo && pfn < hole_hi && pfn > 0) continue;
    if (pfn % 7 == 3) {
      m.excluded.insert(pfn);
      continue;
    }
    m.pages[pfn] = pfn == 5 ? Bytes(page_size, 0) : pattern_page(pfn, page_size, seed);
  }
  m.vmcoreinfo = make_vmcoreinfo(arch, page_size);
  size_t nregs = arch == "arm64" ? 34 : 27;
  for (uint32_t c = 0; c < 2; ++c) {
    SynthCpu cpu;
    cpu.pid = c == 1 ? 4242 : 0;
    for (size_t r = 0; r < nregs; ++r) cpu.regs.push_back(0x1000ull * (c + 1) + r);
    m.cpus.push_back(cpu);
  }
  return m;
}

// ---- notes ----
static void add_note(Bytes& out, const std::string& name, uint32_t type, const Bytes& desc) {
  uint64_t at = out.size();
  put_le(out, at, name.size() + 1, 4);
  put_le(out, at + 4, desc.size(), 4);
  put_le(out, at + 8, type, 4);
  Bytes nm(round_up(name.size() + 1, 4), 0);
  std::memcpy(nm.data(), name.data(), name.size());
  out.insert(out.end(), nm.begin(), nm.end());
  Bytes d = desc;
  d.resize(round_up(desc.size(), 4), 0);
  out.insert(out.end(), d.begin(), d.end());
}

static Bytes notes_blob(const SynthMemory& m, bool with_vmcoreinfo = true) {
  Bytes out;
  uint64_t size = m.arch == "arm64" ? 392 : 336;  // sizeof(struct elf_prstatus)
  for (const auto& c : m.cpus) {
    Bytes d(size, 0);
    put_le(d, 32, c.pid, 4);  // pr_pid
    for (size_t i = 0; i < c.regs.size() && 112 + i * 8 + 8 <= size; ++i) put_le(d, 112 + i * 8, c.regs[i], 8);
    add_note(out, "CORE", 1, d);
    if (m.qemu_note) add_note(out, "QEMU", 0, Bytes(64, 0x51));
  }
  if (with_vmcoreinfo && !m.vmcoreinfo.empty()) add_note(out, "VMCOREINFO", 0, Bytes(m.vmcoreinfo.begin(), m.vmcoreinfo.end()));
  return out;
}

// ---- ELF ----
Bytes write_elf(const SynthMemory& m, const ElfOptions& o) {
  struct Seg { uint64_t pfn, npresent, ntotal; };
  std::vector<Seg> segs;
  for (uint64_t pfn = 0; pfn < m.max_pfn;) {
    bool p = m.pages.count(pfn), e = m.excluded.count(pfn);
    if (!p && !e) { ++pfn; continue; }
    Seg s{pfn, 0, 0};
    while (pfn < m.max_pfn && m.pages.count(pfn) && s.ntotal == s.npresent) { ++s.npresent; ++s.ntotal; ++pfn; }
    while (pfn < m.max_pfn && m.excluded.count(pfn)) { ++s.ntotal; ++pfn; }
    segs.push_back(s);
  }
  Bytes notes = notes_blob(m);
  size_t nph = 1 + segs.size() + (o.kernel_text_alias ? 1 : 0);
  uint64_t phoff = o.qemu_layout ? 192 : 64;
  uint64_t notes_off = phoff + nph * 56;
  uint64_t data_off = round_up(notes_off + notes.size(), m.page_size);
  Bytes f;
  const uint8_t ident[16] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
  put_bytes(f, 0, ident, 16);
  put_le(f, 16, 4, 2);                                   // e_type ET_CORE
  put_le(f, 18, m.arch == "arm64" ? 183 : 62, 2);        // e_machine
  put_le(f, 20, 1, 4);                                   // e_version
  put_le(f, 32, phoff, 8);                               // e_phoff
  put_le(f, 48, o.incomplete ? 1 : 0, 4);                // e_flags
  put_le(f, 52, o.qemu_layout ? 8 : 64, 2);              // e_ehsize (QEMU 7.2 writes 8)
  put_le(f, 54, 56, 2);                                  // e_phentsize
  put_le(f, 56, nph, 2);                                 // e_phnum
  if (o.qemu_layout) {
    put_le(f, 40, 64, 8);   // e_shoff: one section header right after the ELF header
    put_le(f, 58, 64, 2);   // e_shentsize
    put_le(f, 60, 1, 2);    // e_shnum
    put_le(f, 64 + 44, nph, 4);  // sh_info of section 0 (QEMU's PN_XNUM habit)
  }
  auto phdr = [&](size_t i, uint32_t type, uint64_t off, uint64_t vaddr, uint64_t paddr, uint64_t filesz,
                  uint64_t memsz) {
    uint64_t at = phoff + i * 56;
    put_le(f, at, type, 4);
    put_le(f, at + 4, 7, 4);
    put_le(f, at + 8, off, 8);
    put_le(f, at + 16, vaddr, 8);
    put_le(f, at + 24, paddr, 8);
    put_le(f, at + 32, filesz, 8);
    put_le(f, at + 40, memsz, 8);
  };
  phdr(0, 4 /* PT_NOTE */, notes_off, 0, 0, notes.size(), notes.size());
  put_bytes(f, notes_off, notes.data(), notes.size());
  uint64_t off = data_off;
  const uint64_t ps = m.page_size;
  for (size_t i = 0; i < segs.size(); ++i) {
    const Seg& s = segs[i];
    uint64_t paddr = s.pfn * ps;
    if (std::find(o.overlap_segment.begin(), o.overlap_segment.end(), static_cast<int>(i + 1)) !=
            o.overlap_segment.end() && i > 0) {
      paddr = segs[i - 1].pfn * ps + ps;  // starts inside the previous segment
    }
    phdr(1 + i, 1 /* PT_LOAD */, off, 0xffff888000000000ull + s.pfn * ps, paddr, s.npresent * ps, s.ntotal * ps);
    for (uint64_t k = 0; k < s.npresent; ++k) {
      const Bytes& pg = m.pages.at(s.pfn + k);
      put_bytes(f, off + k * ps, pg.data(), ps);
    }
    off += s.npresent * ps;
  }
  if (o.kernel_text_alias && !segs.empty()) {
    // /proc/vmcore's kernel-image segment: the same physical pages again, at a text address.
    uint64_t n = std::min<uint64_t>(2, segs[0].npresent);
    phdr(1 + segs.size(), 1, off, 0xffffffff81000000ull, segs[0].pfn * ps, n * ps, n * ps);
    for (uint64_t k = 0; k < n; ++k) put_bytes(f, off + k * ps, m.pages.at(segs[0].pfn + k).data(), ps);
    off += n * ps;
  }
  f.resize(std::max<uint64_t>(f.size(), off));
  if (o.truncate_to && o.truncate_to < f.size()) f.resize(o.truncate_to);
  return f;
}

// ---- kdump-compressed ----
static uint32_t codec_flag(const std::string& c) {
  if (c == "zlib") return 0x1;
  if (c == "lzo") return 0x2;
  if (c == "snappy") return 0x4;
  if (c == "zstd") return 0x20;
  if (c == "raw") return 0;
  throw std::runtime_error("unknown codec " + c);
}

static Bytes compress_page(const Bytes& in, uint32_t flag) {
  Bytes out;
  switch (flag) {
    case 0x1: {
      uLongf n = compressBound(in.size());
      out.resize(n);
      compress2(out.data(), &n, in.data(), in.size(), Z_BEST_SPEED);
      out.resize(n);
      break;
    }
    case 0x2: {
      static bool init = lzo_init() == LZO_E_OK;
      (void)init;
      Bytes wrk(LZO1X_1_MEM_COMPRESS);
      out.resize(in.size() + in.size() / 16 + 64 + 3);
      lzo_uint n = out.size();
      lzo1x_1_compress(in.data(), in.size(), out.data(), &n, wrk.data());
      out.resize(n);
      break;
    }
    case 0x4: {
      size_t n = snappy_max_compressed_length(in.size());
      out.resize(n);
      snappy_compress(reinterpret_cast<const char*>(in.data()), in.size(), reinterpret_cast<char*>(out.data()), &n);
      out.resize(n);
      break;
    }
    case 0x20: {
      out.resize(ZSTD_compressBound(in.size()));
      size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 1);
      out.resize(n);
      break;
    }
    default: out = in;
  }
  return out;
}

static Bytes kdump_file(const SynthMemory& m, const KdumpOptions& o, uint64_t start_pfn, uint64_t end_pfn, bool split) {
  const uint64_t bs = m.page_size;
  const int v = o.header_version;
  static const char* rot[] = {"zlib", "lzo", "snappy", "zstd", "raw"};
  const bool mixed = o.codec == "mixed";
  uint32_t status_codec = mixed ? 0x1 : codec_flag(o.codec);
  Bytes notes = v >= 4 ? notes_blob(m, /*with_vmcoreinfo=*/true) : Bytes{};
  Bytes vmci(m.vmcoreinfo.begin(), m.vmcoreinfo.end());
  // Sub-header (104 bytes for v6), then VMCOREINFO text, then the notes, in the sub-header blocks.
  uint64_t vmci_off = bs + 104, notes_off = vmci_off + round_up(vmci.size(), 8);
  uint64_t sub_end = notes_off + notes.size();
  uint64_t sub_blocks = std::max<uint64_t>(1, round_up(sub_end - bs, bs) / bs);
  uint64_t bitmap_half = round_up(std::max<uint64_t>(1, (m.max_pfn + 7) / 8), bs);
  uint64_t bitmap_off = (1 + sub_blocks) * bs;
  uint64_t desc_off = bitmap_off + 2 * bitmap_half;
  std::vector<uint64_t> dumped;
  for (auto& [pfn, _] : m.pages)
    if (pfn >= start_pfn && pfn < end_pfn) dumped.push_back(pfn);
  uint64_t data_off = desc_off + dumped.size() * 24;

  Bytes f;
  put_bytes(f, 0, "KDUMP   ", 8);
  put_le(f, 8, v, 4);
  auto uts = [&](int idx, const std::string& s) { put_bytes(f, 12 + idx * 65, s.data(), std::min<size_t>(s.size(), 64)); };
  if (!o.empty_sysname) {
    uts(0, "Linux");
    uts(1, "synth-host");
    uts(2, "6.1.0-test");
    uts(3, "#1 SMP PREEMPT_DYNAMIC");
  }
  uts(4, o.machine.empty() ? (m.arch == "arm64" ? "aarch64" : "x86_64") : o.machine);
  put_le(f, 408, static_cast<uint64_t>(o.timestamp), 8);
  put_le(f, 424, status_codec | (o.incomplete ? 0x8 : 0), 4);
  put_le(f, 428, bs, 4);
  put_le(f, 432, sub_blocks, 4);
  put_le(f, 436, 2 * bitmap_half / bs, 4);
  put_le(f, 440, std::min<uint64_t>(m.max_pfn, 0xffffffffu), 4);
  put_le(f, 456, 0, 4);
  put_le(f, 460, m.cpus.size(), 4);
  f.resize(bs, 0);
  // sub-header
  put_le(f, bs + 0, o.sub_phys_base, 8);
  put_le(f, bs + 8, o.dump_level, 4);
  if (v >= 2) {
    put_le(f, bs + 12, split ? 1 : 0, 4);
    put_le(f, bs + 16, split ? start_pfn : 0, 8);
    put_le(f, bs + 24, split ? end_pfn : 0, 8);
  }
  if (v >= 3 && !vmci.empty()) {
    put_le(f, bs + 32, vmci_off, 8);
    put_le(f, bs + 40, vmci.size(), 8);
    put_bytes(f, vmci_off, vmci.data(), vmci.size());
  }
  if (v >= 4 && !notes.empty()) {
    put_le(f, bs + 48, notes_off, 8);
    put_le(f, bs + 56, notes.size(), 8);
    put_bytes(f, notes_off, notes.data(), notes.size());
  }
  if (v >= 6) {
    put_le(f, bs + 80, split ? start_pfn : 0, 8);
    put_le(f, bs + 88, split ? end_pfn : 0, 8);
    put_le(f, bs + 96, m.max_pfn, 8);
  }
  f.resize(bitmap_off, 0);
  // Bitmaps: 1 = RAM (present or excluded), 2 = dumped. Full bitmaps in every part.
  f.resize(desc_off, 0);
  for (uint64_t pfn = 0; pfn < m.max_pfn; ++pfn) {
    bool p = m.pages.count(pfn), e = m.excluded.count(pfn);
    if (p || e) f[bitmap_off + pfn / 8] |= static_cast<uint8_t>(1u << (pfn % 8));
    if (p) f[bitmap_off + bitmap_half + pfn / 8] |= static_cast<uint8_t>(1u << (pfn % 8));
  }
  f.resize(data_off, 0);
  uint64_t off = data_off;
  for (size_t i = 0; i < dumped.size(); ++i) {
    uint64_t at = desc_off + i * 24;
    if (o.incomplete && i >= o.written_pages) continue;  // entry left zero: never written
    uint32_t flag = mixed ? codec_flag(rot[i % 5]) : status_codec;
    Bytes c = compress_page(m.pages.at(dumped[i]), flag);
    if (c.size() >= bs) {  // makedumpfile stores a page raw when compression does not help
      c = m.pages.at(dumped[i]);
      flag = 0;
    }
    put_le(f, at, off, 8);
    put_le(f, at + 8, c.size(), 4);
    put_le(f, at + 12, o.override_page_flags ? o.override_page_flags : flag, 4);
    put_le(f, at + 16, 0, 8);
    put_bytes(f, off, c.data(), c.size());
    off += c.size();
  }
  return f;
}

Bytes write_kdump(const SynthMemory& m, const KdumpOptions& o) { return kdump_file(m, o, 0, m.max_pfn, false); }

std::vector<Bytes> write_kdump_split(const SynthMemory& m, const KdumpOptions& o, int nparts) {
  std::vector<Bytes> parts;
  for (int i = 0; i < nparts; ++i) {
    uint64_t lo = m.max_pfn * i / nparts, hi = m.max_pfn * (i + 1) / nparts;
    parts.push_back(kdump_file(m, o, lo, hi, true));
  }
  return parts;
}

// ---- flattened ----
Bytes flatten(const Bytes& file, const FlattenOptions& o) {
  Bytes out(4096, 0);
  std::memcpy(out.data(), "makedumpfile", 12);
  put_be(out, 16, 1, 8);  // type
  put_be(out, 24, 1, 8);  // version
  std::vector<std::pair<uint64_t, uint64_t>> chunks;
  for (uint64_t off = 0; off < file.size(); off += o.chunk) chunks.emplace_back(off, std::min<uint64_t>(o.chunk, file.size() - off));
  if (o.reverse) std::reverse(chunks.begin(), chunks.end());
  auto record = [&](uint64_t off, const uint8_t* p, uint64_t n) {
    uint64_t at = out.size();
    put_be(out, at, off, 8);
    put_be(out, at + 8, n, 8);
    out.insert(out.end(), p, p + n);
  };
  if (o.overwrite) {
    Bytes junk(o.chunk, 0xee);
    for (auto [off, n] : chunks) record(off, junk.data(), n);
  }
  for (auto [off, n] : chunks) record(off, file.data() + off, n);
  if (o.end_marker) {
    uint64_t at = out.size();
    put_be(out, at, ~0ull, 8);  // makedumpfile's end header: offset and size both -1
    put_be(out, at + 8, ~0ull, 8);
  }
  return out;
}

void write_file(const std::string& path, const Bytes& b) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

}  // namespace kdx::test

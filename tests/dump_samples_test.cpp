// Writes synthetic sample dumps to $KDX_SAMPLE_DIR (for cross-checks with makedumpfile/crash); skipped otherwise.
#include <gtest/gtest.h>

#include <cstdlib>

#include "support/dump_writer.hpp"

using namespace kdx::test;

TEST(DumpSamples, WriteWhenAsked) {
  const char* dir = std::getenv("KDX_SAMPLE_DIR");
  if (!dir) GTEST_SKIP() << "set KDX_SAMPLE_DIR to write sample dumps";
  std::string d = dir;
  auto m = make_memory("x86_64", 2048);
  // makedumpfile checks the release in init_uts_ns through the kernel-text PT_LOAD: put a
  // new_utsname after the kref at a text address that segment maps.
  m.vmcoreinfo += "SYMBOL(_stext)=ffffffff81000000\n";
  auto pos = m.vmcoreinfo.find("SYMBOL(init_uts_ns)=");
  m.vmcoreinfo.replace(pos, 36, "SYMBOL(init_uts_ns)=ffffffff80000100");
  // __START_KERNEL_map + phys_base 0 = physical 0: the text address lands in pfn 0.
  m.vmcoreinfo.replace(m.vmcoreinfo.find("NUMBER(phys_base)=18874368"), 26, "NUMBER(phys_base)=0");
  m.vmcoreinfo.replace(m.vmcoreinfo.find("KERNELOFFSET=1e000000"), 21, "KERNELOFFSET=0");
  auto& p0 = m.pages.at(0);
  std::fill(p0.begin() + 0x100, p0.begin() + 0x100 + 4 + 390, 0);
  auto put_str = [&](size_t off, const std::string& s) { std::copy(s.begin(), s.end(), p0.begin() + off); };
  put_str(0x104, "Linux");
  put_str(0x104 + 65, "synth-host");
  put_str(0x104 + 130, "6.1.0-test");
  put_str(0x104 + 260, "x86_64");
  // makedumpfile 1.7 translates kernel-text addresses through init_top_pgt: a three-level
  // walk ending in a 2 MiB page that maps virtual __START_KERNEL_map to physical 0.
  m.vmcoreinfo.replace(m.vmcoreinfo.find("SYMBOL(init_top_pgt)=ffffffff82a0a000"), 37,
                       "SYMBOL(init_top_pgt)=ffffffff80014000");
  auto entry = [&](uint64_t pfn, int idx, uint64_t v) {
    auto& pg = m.pages.at(pfn);
    for (int b = 0; b < 8; ++b) pg[idx * 8 + b] = static_cast<uint8_t>(v >> (8 * b));
  };
  for (uint64_t pfn : {20, 22, 23}) std::fill(m.pages.at(pfn).begin(), m.pages.at(pfn).end(), 0);
  entry(20, 511, 0x16000 | 0x63);  // PGD -> PUD at pfn 22
  entry(22, 510, 0x17000 | 0x63);  // PUD -> PMD at pfn 23
  entry(23, 0, 0x0 | 0xe3);        // PMD: 2 MiB page at physical 0
  // A FLATMEM mem_map pointer, so makedumpfile can tell the memory model (-d 0 never reads it).
  m.vmcoreinfo += "SYMBOL(mem_map)=ffffffff80000200\n";
  for (int b = 0; b < 8; ++b) p0[0x200 + b] = static_cast<uint8_t>(0xffffea0000000000ull >> (8 * b));
  ElfOptions eo;
  eo.kernel_text_alias = true;
  write_file(d + "/synth-x86_64.elf", write_elf(m, eo));
  for (const char* c : {"zlib", "lzo", "snappy", "zstd", "raw"}) {
    KdumpOptions o;
    o.codec = c;
    write_file(d + "/synth-x86_64." + c + ".kdump", write_kdump(m, o));
  }
  KdumpOptions zo;
  write_file(d + "/synth-x86_64.zlib.flat", flatten(write_kdump(m, zo)));
  FlattenOptions fo;
  fo.chunk = 1000;
  fo.reverse = true;
  fo.overwrite = true;
  write_file(d + "/synth-x86_64.zlib.flat-shuffled", flatten(write_kdump(m, zo), fo));
  const char* big_env = std::getenv("KDX_SAMPLE_BIG_PAGES");
  auto big = make_memory("x86_64", big_env ? std::strtoull(big_env, nullptr, 0) : 65536, 4096, 3);  // for timing
  write_file(d + "/synth-big.elf", write_elf(big));
  SUCCEED();
}

// Seeds for tests/fuzz: byte 0 = mode (bit 0: split in two at bytes 1-2), then the file(s).
TEST(DumpSamples, WriteFuzzSeedsWhenAsked) {
  const char* dir = std::getenv("KDX_FUZZ_SEED_DIR");
  if (!dir) GTEST_SKIP() << "set KDX_FUZZ_SEED_DIR to write fuzz seeds";
  auto seed = [&](const std::string& name, const Bytes& a, const Bytes* b = nullptr) {
    Bytes out = {static_cast<uint8_t>(b ? 1 : 0), static_cast<uint8_t>(a.size() >> 8), static_cast<uint8_t>(a.size())};
    out.insert(out.end(), a.begin(), a.end());
    if (b) out.insert(out.end(), b->begin(), b->end());
    write_file(std::string(dir) + "/" + name, out);
  };
  auto m = make_memory("x86_64", 12, 1024);
  m.vmcoreinfo = "OSRELEASE=6.1\nPAGESIZE=4096\nNUMBER(phys_base)=0\nCRASHTIME=1\n";
  auto a = make_memory("arm64", 6, 1024);
  a.vmcoreinfo = "OSRELEASE=6.1\nNUMBER(PHYS_OFFSET)=0xffffa87e40000000\n";
  seed("elf-x86", write_elf(m));
  seed("elf-arm64-qemu", write_elf(a, [] { ElfOptions o; o.qemu_layout = true; return o; }()));
  for (const char* c : {"zlib", "lzo", "snappy", "zstd", "raw"}) {
    KdumpOptions o;
    o.codec = c;
    seed(std::string("kdump-") + c, write_kdump(m, o));
  }
  KdumpOptions inc;
  inc.incomplete = true;
  inc.written_pages = 3;
  inc.header_version = 4;
  seed("kdump-incomplete-v4", write_kdump(a, inc));
  FlattenOptions fo;
  fo.chunk = 700;
  fo.reverse = true;
  seed("flat", flatten(write_kdump(m, KdumpOptions{}), fo));
  auto parts = write_kdump_split(m, KdumpOptions{}, 2);
  if (parts[0].size() < 65536) seed("split", parts[0], &parts[1]);
}

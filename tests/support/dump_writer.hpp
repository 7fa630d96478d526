// Synthetic dump writers for tests: ELF, kdump-compressed (every codec), flattened, split. Shares no structs with the reader.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace kdx::test {

using Bytes = std::vector<uint8_t>;

struct SynthCpu {
  uint32_t pid = 0;
  std::vector<uint64_t> regs;  // written into pr_reg in order; padded with zeros
};

// The dumped machine: pages by pfn (each `page_size` bytes), RAM pages left out by the
// dump level, and the notes. Pfns in neither map are holes.
struct SynthMemory {
  std::string arch = "x86_64";  // "x86_64" or "arm64"
  uint64_t page_size = 4096;    // the dump's granularity (kdump block_size)
  uint64_t max_pfn = 0;
  std::map<uint64_t, Bytes> pages;
  std::set<uint64_t> excluded;
  std::string vmcoreinfo;  // empty: no VMCOREINFO at all
  std::vector<SynthCpu> cpus;
  bool qemu_note = false;  // add a "QEMU" note per CPU as QEMU's x86 dumps do
};

// A deterministic page that compresses (text-like runs) but differs per pfn and seed.
Bytes pattern_page(uint64_t pfn, uint64_t size, uint32_t seed = 1);
// A memory with npages pfns: mostly present pages, every 7th excluded, a hole run in the
// middle, one all-zero present page; cpus and a VMCOREINFO for arch.
SynthMemory make_memory(const std::string& arch, uint64_t npages, uint64_t page_size = 4096, uint32_t seed = 1);
// A plausible VMCOREINFO text for arch with the given page size.
std::string make_vmcoreinfo(const std::string& arch, uint64_t page_size, const std::string& release = "6.1.0-test");

struct ElfOptions {
  bool qemu_layout = false;     // QEMU 7.2: e_ehsize = 8, a section header at 64, phdrs at 192
  bool incomplete = false;      // set e_flags bit 0
  uint64_t truncate_to = 0;     // cut the file to this many bytes (0: keep)
  bool kernel_text_alias = false;  // add a PT_LOAD repeating part of the first RAM segment
  std::vector<int> overlap_segment;  // (testing) make PT_LOAD i start inside PT_LOAD i-1
};
Bytes write_elf(const SynthMemory& m, const ElfOptions& o = {});

struct KdumpOptions {
  std::string codec = "zlib";  // zlib, lzo, snappy, zstd, raw, or "mixed" (rotates per page)
  int header_version = 6;
  std::string machine;          // default from arch; QEMU arm64 writes "Unknown"
  bool empty_sysname = false;   // QEMU leaves utsname empty but for machine
  uint64_t sub_phys_base = 0;
  int dump_level = 31;
  bool incomplete = false;
  uint64_t written_pages = ~0ull;  // with incomplete: page_desc entries after this many have offset 0
  int64_t timestamp = 1700000000;
  uint32_t override_page_flags = 0;  // nonzero: write this flags value in every page_desc
};
Bytes write_kdump(const SynthMemory& m, const KdumpOptions& o = {});
// The parts of a split dump: part i covers pfns [i*max_pfn/n, (i+1)*max_pfn/n).
std::vector<Bytes> write_kdump_split(const SynthMemory& m, const KdumpOptions& o, int nparts);

struct FlattenOptions {
  uint64_t chunk = 4096;       // bytes per record
  bool reverse = false;        // emit records in reverse order
  bool overwrite = false;      // first write garbage over every chunk, then the real data
  bool end_marker = true;
};
Bytes flatten(const Bytes& file, const FlattenOptions& o = {});

void write_file(const std::string& path, const Bytes& b);

// Little-endian / big-endian field pokes for hand-corrupting files in tests.
void put_le(Bytes& b, uint64_t off, uint64_t v, int n);
void put_be(Bytes& b, uint64_t off, uint64_t v, int n);
uint64_t get_le(const Bytes& b, uint64_t off, int n);

}  // namespace kdx::test

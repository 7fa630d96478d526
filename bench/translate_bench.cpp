// Translation benchmark: 1M random kernel addresses through KernelAddressSpace (cached and uncached), as a ratio to drgn on the same vmcore.
//
// Builds a small synthetic x86_64 machine (64 MiB, direct map with 4K and 2M pages, a
// scattered 4K vmalloc area, the kernel image in 2M pages), writes it as an ELF vmcore that
// drgn can open, and times kdx and drgn on the same address list in the same run.
// Usage: translate_bench [COUNT] [--no-drgn] [--write-core PATH (write the vmcore and exit)]
//        translate_bench [COUNT] [--no-drgn] --dump VMCORE   (a real dump: direct-map and _stext addresses)
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kdx/arch/arch_backend.hpp"
#include "kdx/dump/vmcoreinfo.hpp"
#include "kdx/memory/kernel_address_space.hpp"
#include "src/symbols/decompressed_file.hpp"
#include "support/pagetable_fake_phys.hpp"
#include "support/pagetable_vmcore_writer.hpp"

// With the dump reader in the tree, kdx is also timed reading the same vmcore file drgn reads.
#if __has_include("kdx/dump/dump.hpp")
#include "kdx/dump/dump.hpp"
#define KDX_BENCH_HAS_DUMP 1
#endif

using namespace kdx;
using pagetable_test::FakePhysMemory;
using pagetable_test::X86PageTableBuilder;
using B = X86PageTableBuilder;

namespace {

constexpr uint64_t kRam = 64ULL << 20;
constexpr uint64_t kPob = 0xffff888000000000ULL;
constexpr uint64_t kVmalloc = 0xffffc90000000000ULL;
constexpr uint64_t kText = 0xffffffff81000000ULL;  // maps phys 16 MiB (phys_base 0)
constexpr uint64_t kVmallocPages = 16384;

struct Machine {
  FakePhysMemory mem;
  uint64_t root = 0;
  std::string vmcoreinfo;
};

void build(Machine& m) {
  m.mem.set_next_alloc(48ULL << 20);  // tables live in the top 16 MiB of "RAM"
  B b(m.mem, false);
  m.root = b.root();
  for (uint64_t pa = 0; pa < (16ULL << 20); pa += 4096) b.map(kPob + pa, pa, 4096, B::P | B::RW | B::A | B::D | B::G | B::NX);
  for (uint64_t pa = 16ULL << 20; pa < kRam; pa += 2ULL << 20) b.map(kPob + pa, pa, 2ULL << 20, B::P | B::RW | B::A | B::D | B::G | B::NX);
  std::mt19937_64 rng(42);
  for (uint64_t i = 0; i < kVmallocPages; ++i) b.map(kVmalloc + i * 4096, (rng() % (48ULL << 8)) << 12, 4096);
  for (uint64_t off = 0; off < (16ULL << 20); off += 2ULL << 20) b.map(kText + off, (16ULL << 20) + off, 2ULL << 20, B::P | B::A | B::G);
  // The root must be reachable through the image mapping (init_top_pgt is an image symbol),
  // so give it an image alias: 0xffffffff80000000 + pa with phys_base 0.
  uint64_t top_va = 0xffffffff80000000ULL + m.root;
  b.map(top_va & ~0x1fffffULL, m.root & ~0x1fffffULL, 2ULL << 20, B::P | B::A | B::G);
  m.vmcoreinfo = fmt::format(
      "OSRELEASE=6.1.0-kdx-bench\nPAGESIZE=4096\nSYMBOL(swapper_pg_dir)={0:x}\nSYMBOL(init_top_pgt)={0:x}\n"
      "NUMBER(phys_base)=0\nKERNELOFFSET=0\nNUMBER(KERNEL_IMAGE_SIZE)=1073741824\nNUMBER(pgtable_l5_enabled)=0\n"
      "NUMBER(sme_mask)=0\n",
      top_va);
}

// An ELF64 ET_CORE like /proc/vmcore: the direct map over all RAM, the kernel image, and
// the image alias of the tables (init_top_pgt is an image symbol, drgn reads it there).
bool write_elf(const Machine& m, const std::string& path) {
  return pagetable_test::write_pagetable_vmcore(
      m.mem, 62, m.vmcoreinfo,
      {{0, kPob, kRam},
       {16ULL << 20, kText, 16ULL << 20},
       {48ULL << 20, 0xffffffff80000000ULL + (48ULL << 20), 16ULL << 20}},
      path);
}

double ns_per(std::chrono::steady_clock::duration d, size_t n) {
  return double(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()) / double(n);
}

struct Timings {
  double uncached, cold, cached, read1;
};

Timings time_kdx(PhysReader& phys, const dump::Vmcoreinfo& kv, const std::vector<uint64_t>& addrs, const char* label,
                 const ArchBackend& arch = *find_arch("x86_64")) {
  auto as = KernelAddressSpace::from_vmcoreinfo(arch, phys, kv);
  if (!as) {
    fmt::print(stderr, "config: {}\n", as.error().to_string());
    std::exit(1);
  }
  Timings t{};
  uint64_t sink = 0;
  const size_t n = addrs.size();
  auto t0 = std::chrono::steady_clock::now();
  for (uint64_t a : addrs) sink += (*as)->translate_uncached(a).value_or(1);
  t.uncached = ns_per(std::chrono::steady_clock::now() - t0, n);
  t0 = std::chrono::steady_clock::now();
  for (uint64_t a : addrs) sink += (*as)->translate(a).value_or(1);
  t.cold = ns_per(std::chrono::steady_clock::now() - t0, n);
  uint64_t cold_misses = (*as)->cache_misses();
  t0 = std::chrono::steady_clock::now();
  for (uint64_t a : addrs) sink += (*as)->translate(a).value_or(1);
  t.cached = ns_per(std::chrono::steady_clock::now() - t0, n);
  uint8_t byte;
  size_t read_faults = 0;
  t0 = std::chrono::steady_clock::now();
  for (uint64_t a : addrs) {
    if ((*as)->read_virt(a, std::span<uint8_t>(&byte, 1))) sink += byte;
    else ++read_faults;
  }
  t.read1 = ns_per(std::chrono::steady_clock::now() - t0, n);
  size_t unmapped = 0;
  for (uint64_t a : addrs) unmapped += !(*as)->translate(a);
  fmt::print("[{}] checksum {:x}\n", label, sink);
  fmt::print("  kdx uncached translate:  {:8.1f} ns/address\n", t.uncached);
  fmt::print("  kdx cached, first pass:  {:8.1f} ns/address ({} misses)\n", t.cold, cold_misses);
  fmt::print("  kdx cached, warm:        {:8.1f} ns/address ({} misses in total)\n", t.cached, (*as)->cache_misses());
  fmt::print("  kdx read 1 byte, warm:   {:8.1f} ns/address ({} unmapped, {} read faults: mapped to pages not in the dump)\n",
             t.read1, unmapped, read_faults - unmapped);
  return t;
}


// Runs drgn on the same core and address list and prints the ratios; returns 0.
int run_drgn(const std::string& core, const std::vector<uint64_t>& addrs, const Timings& t, bool remove_core) {
  std::string list = std::string(KDX_BENCH_TMP) + "/translate_bench.addrs";
  {
    std::ofstream f(list);
    for (uint64_t a : addrs) f << fmt::format("{:x}\n", a);
  }
  std::string cmd = fmt::format("/usr/bin/python3 {} {} {} 2>&1", KDX_BENCH_DRGN_SCRIPT, core, list);
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096] = {};
  std::string out;
  while (p && fgets(buf, sizeof buf, p)) out += buf;
  int rc = p ? pclose(p) : -1;
  if (remove_core) std::remove(core.c_str());
  std::remove(list.c_str());
  double drgn_ns = 0, loop_ns = 0;
  long failures = 0;
  if (rc != 0 || std::sscanf(out.c_str(), "%lf %lf %ld", &drgn_ns, &loop_ns, &failures) != 3) {
    fmt::print("drgn: did not run ({})\n", out.empty() ? "no output" : out);
    return 0;
  }
  fmt::print("drgn prog.read(a, 1):   {:8.1f} ns/address (python loop alone {:.1f}; {} faults)\n", drgn_ns, loop_ns, failures);
  fmt::print("ratio drgn / kdx (last kdx run): uncached {:.1f}x, cached {:.1f}x, read-1-byte {:.1f}x; "
             "(drgn - python loop) / kdx read-1-byte: {:.1f}x\n",
             drgn_ns / t.uncached, drgn_ns / t.cached, drgn_ns / t.read1, (drgn_ns - loop_ns) / t.read1);
  return 0;
}

// Every 4K page mapped in the x86_64 kernel half outside the direct map and the kernel
// image, by a walk that skips whatever an absent entry covers.
std::vector<uint64_t> x86_other_kernel_pages(const PageTableWalker& w) {
  std::vector<uint64_t> out;
  const bool l5 = w.config().l5;
  const unsigned top = l5 ? 48 : 39;
  uint64_t va = l5 ? 0xff00000000000000ULL : 0xffff800000000000ULL;
  while (va != 0) {
    RawWalk r = w.walk_raw(va);
    uint64_t step;
    if (r.status == WalkStatus::Mapped) {
      step = r.page_size;
      if (r.page_size == 4096 && !w.direct_map_to_phys(va) && !w.kernel_image_to_phys(va)) out.push_back(va);
    } else {
      step = 1ULL << (top - 9 * (r.nlevels ? r.levels[r.nlevels - 1].level : 0));
    }
    uint64_t next = (va & ~(step - 1)) + step;
    if (next <= va) break;  // wrapped past the top of the address space
    va = next;
  }
  return out;
}

// A real dump: random bytes of the dumped RAM through the direct map, plus the kernel text
// after SYMBOL(_stext). Needs the dump reader.
int bench_real_dump(const std::string& given, size_t count, bool drgn) {
#ifdef KDX_BENCH_HAS_DUMP
  // The fixtures' ELF dumps are committed xz'd: decompress once into the build tree.
  auto mat = symbols::materialize_input(given, std::string(KDX_BENCH_TMP) + "/kdx-cache");
  if (!mat) {
    fmt::print(stderr, "{}: {}\n", given, mat.error().to_string());
    return 1;
  }
  const std::string path = *mat;
  auto d = dump::open_dump({path});
  if (!d) {
    fmt::print(stderr, "open_dump: {}\n", d.error().to_string());
    return 1;
  }
  const ArchBackend* arch = find_arch(dump::arch_name((*d)->arch()));
  if (!arch || !(*d)->vmcoreinfo()) {
    fmt::print(stderr, "{}: unsupported arch or no VMCOREINFO\n", path);
    return 1;
  }
  const dump::Vmcoreinfo& kv = *(*d)->vmcoreinfo();
  auto as = KernelAddressSpace::from_vmcoreinfo(*arch, **d, kv);
  if (!as) {
    fmt::print(stderr, "config: {}\n", as.error().to_string());
    return 1;
  }
  uint64_t total = 0;
  for (const auto& r : (*d)->phys_ranges()) total += r.end - r.start;
  auto stext = kv.symbol("_stext");
  // The kernel's other mappings (vmalloc, module, cpu_entry_area, fixmap): every 4K page
  // the kernel half maps outside the direct map and the image, found by walking the tables.
  std::vector<uint64_t> other = arch->name == "x86_64" ? x86_other_kernel_pages((*as)->walker()) : std::vector<uint64_t>{};
  std::mt19937_64 rng(7);
  std::vector<uint64_t> addrs;
  while (addrs.size() < count && total) {
    uint64_t r = rng() % 10;
    if (r == 0 && stext) {
      addrs.push_back(*stext + rng() % (8ULL << 20));
      continue;
    }
    if ((r == 1 || r == 2) && !other.empty()) {
      addrs.push_back(other[rng() % other.size()] + rng() % 4096);
      continue;
    }
    uint64_t off = rng() % total;
    for (const auto& pr : (*d)->phys_ranges()) {
      if (off < pr.end - pr.start) {
        if (auto va = (*as)->walker().phys_to_direct_map(pr.start + off)) addrs.push_back(*va);
        break;
      }
      off -= pr.end - pr.start;
    }
  }
  fmt::print("{}: {} addresses (~70% direct map over the dumped RAM, 10% kernel image from _stext, "
             "20% the {} other 4K kernel pages: vmalloc, modules, cpu_entry_area, fixmap)\n",
             path, addrs.size(), other.size());
  Timings t = time_kdx(**d, kv, addrs, "real dump", *arch);
  return drgn ? run_drgn(path, addrs, t, /*remove_core=*/false) : 0;
#else
  (void)count;
  (void)drgn;
  fmt::print(stderr, "{}: this build has no dump reader\n", path);
  return 1;
#endif
}

}  // namespace

int main(int argc, char** argv) {
  size_t count = 1000000;
  bool drgn = true;
  std::string write_core, real_dump;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--no-drgn") drgn = false;
    else if (std::string(argv[i]) == "--write-core" && i + 1 < argc) write_core = argv[++i];
    else if (std::string(argv[i]) == "--dump" && i + 1 < argc) real_dump = argv[++i];
    else count = std::stoul(argv[i]);
  }
  if (!real_dump.empty()) return bench_real_dump(real_dump, count, drgn);
  Machine m;
  build(m);
  if (!write_core.empty()) return write_elf(m, write_core) ? 0 : 1;
  std::mt19937_64 rng(7);
  std::vector<uint64_t> addrs(count);
  for (auto& a : addrs) {
    uint64_t r = rng();
    switch (r % 10) {
      case 0: a = kText + (rng() % (16ULL << 20)); break;
      case 1: case 2: case 3: case 4: a = kVmalloc + (rng() % (kVmallocPages * 4096)); break;
      default: a = kPob + (rng() % kRam); break;
    }
  }
  fmt::print("addresses: {} (50% direct map 4K/2M, 40% vmalloc 4K, 10% kernel text 2M)\n", count);
  Timings t = time_kdx(m.mem, dump::Vmcoreinfo::parse(m.vmcoreinfo), addrs, "in-memory fake phys");
  if (!drgn) return 0;

  std::string dir = std::string(KDX_BENCH_TMP);
  std::string core = dir + "/translate_bench.vmcore";
  if (!write_elf(m, core)) {
    fmt::print(stderr, "cannot write {}\n", core);
    return 1;
  }
#ifdef KDX_BENCH_HAS_DUMP
  {
    auto d = dump::open_dump({core});
    if (!d) {
      fmt::print(stderr, "open_dump: {}\n", d.error().to_string());
      return 1;
    }
    t = time_kdx(**d, dump::Vmcoreinfo::parse(m.vmcoreinfo), addrs, "ELF vmcore via open_dump");
  }
#endif
  return run_drgn(core, addrs, t, /*remove_core=*/true);


}

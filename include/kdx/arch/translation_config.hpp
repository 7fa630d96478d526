// The numbers a page-table walker needs (page size, VA bits, root tables, KASLR bases).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kdx/error.hpp"

namespace kdx {

namespace dump {
class Vmcoreinfo;
}

// Runtime (KASLR already applied) address of a vmlinux symbol, or nullopt when unknown.
using SymbolLookup = std::function<std::optional<uint64_t>(std::string_view name)>;

// A named virtual range of the kernel image (text, rodata, ro_after_init, data, bss, init).
struct KernelSection {
  std::string name;
  uint64_t start = 0;
  uint64_t end = 0;  // exclusive
};

// Everything is a plain value so that tests and other layers can build one by hand.
// Values the config builder could not determine keep the defaults below, and `notes` says
// which ones were guessed.
struct TranslationConfig {
  uint64_t page_size = 4096;
  unsigned va_bits = 48;         // x86_64: 48, or 57 with 5-level paging; arm64: NUMBER(VA_BITS)
  unsigned va_bits_actual = 0;   // arm64: 64 - TCR_EL1_T1SZ (kernel half); 0 = same as va_bits
  unsigned pa_bits = 52;         // physical-address bits above this in an entry are reserved
  uint64_t root = 0;             // physical address of the top-level table for this space
  // Physical address of the table that maps user addresses (a task's mm->pgd); 0 = none.
  // x86_64: one table maps both halves, so a task's pgd is set as `root` too and user
  // addresses without a user_root walk `root`. arm64: user addresses go through TTBR0, which
  // only a task's mm->pgd fills (swapper_pg_dir is TTBR1's): without user_root the walker
  // refuses them.
  uint64_t user_root = 0;
  bool l5 = false;               // x86_64: 5-level paging (NUMBER(pgtable_l5_enabled))

  // x86_64
  uint64_t phys_base = 0;                       // NUMBER(phys_base)
  uint64_t kernel_offset = 0;                   // KERNELOFFSET (KASLR slide of the image)
  uint64_t kernel_image_size = 1ULL << 30;      // NUMBER(KERNEL_IMAGE_SIZE)
  uint64_t sme_mask = 0;                        // NUMBER(sme_mask): AMD SME C-bit, not address
  uint64_t page_offset_base = 0xffff888000000000ULL;  // direct map start (KASLR'd variable)
  uint64_t vmalloc_base = 0xffffc90000000000ULL;
  uint64_t vmemmap_base = 0xffffea0000000000ULL;
  uint64_t direct_map_size = 0;                 // 0 = up to vmalloc_base

  // arm64
  uint64_t kimage_voffset = 0;   // NUMBER(kimage_voffset): image va - pa
  uint64_t phys_offset = 0;      // NUMBER(PHYS_OFFSET) (memstart_addr; may be "negative")
  uint64_t page_offset = 0;      // start of the linear map (computed)
  uint64_t page_end = 0;         // end of the linear map (exclusive; 0 = top of memory)
  bool flipped_layout = true;    // linear map in the lower half of the kernel VA (Linux >= 5.4)
  uint64_t kernel_pac_mask = 0;  // NUMBER(KERNELPACMASK)
  uint64_t modules_vaddr = 0, modules_end = 0;  // 0 = unknown
  uint64_t vmalloc_start = 0, vmalloc_end = 0;
  uint64_t vmemmap_start = 0, vmemmap_end = 0;

  // Both: the kernel image's sections (runtime addresses) when symbols were available, and
  // the image's bounds. Empty/0 when unknown.
  uint64_t kernel_image_start = 0, kernel_image_end = 0;
  std::vector<KernelSection> kernel_sections;

  std::vector<std::string> notes;  // how guessed values were obtained, for `vtop -v` / info

  // Effective VA bits of the kernel half (arm64 52-bit kernels may run with 48).
  unsigned kernel_va_bits() const { return va_bits_actual ? va_bits_actual : va_bits; }
};

// OSRELEASE's "major.minor" as major*100+minor ("6.1.0-13-amd64" -> 601), or nullopt.
std::optional<unsigned> vmcoreinfo_kernel_version(const dump::Vmcoreinfo& vi);

}  // namespace kdx

// Test builders for unwinding: a fake kernel memory, stacks built word by word, ORC bytes, pt_regs.
// Deliberately shares no struct or constant with the unwinder, so a wrong layout cannot hide in both.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "kdx/virt_reader.hpp"

namespace kdx::test {

// Sparse kernel memory: 4 KiB pages that exist only once written.
class FakeMemory : public kdx::VirtReader {
 public:
  void write(uint64_t addr, std::span<const uint8_t> bytes);
  void write_u64(uint64_t addr, uint64_t v);
  void map_zero(uint64_t begin, uint64_t end);  // makes [begin, end) readable, zero-filled
  Result<void> read_virt(uint64_t vaddr, std::span<uint8_t> out) override;

 private:
  std::map<uint64_t, std::array<uint8_t, 4096>> pages_;
};

// A stack that grows down from `top` (exclusive), like the kernel's.
class StackBuilder {
 public:
  StackBuilder(FakeMemory& mem, uint64_t top) : mem_(mem), sp_(top) {}
  uint64_t push(uint64_t v) {  // returns the new sp (the word's address)
    sp_ -= 8;
    mem_.write_u64(sp_, v);
    return sp_;
  }
  uint64_t reserve(uint64_t bytes) {  // zero-filled locals; returns the new sp
    sp_ -= bytes;
    for (uint64_t a = sp_; a < sp_ + bytes; a += 8) mem_.write_u64(a, 0);
    return sp_;
  }
  uint64_t sp() const { return sp_; }

 private:
  FakeMemory& mem_;
  uint64_t sp_;
};

// One ORC row written with raw field values: the numbers are the kernel's (ORC_REG_*: 1 prev_sp,
// 4 bp, 5 sp, 6 r10, 9 sp_indirect; v1 types: 0 call, 1 regs, 2 regs_partial; v3 types:
// 0 undefined, 1 end_of_stack, 2 call, 3 regs, 4 regs_partial).
struct SynthOrcRow {
  uint64_t ip = 0;
  int sp_reg = 0;
  int sp_offset = 0;
  int bp_reg = 0;
  int bp_offset = 0;
  int type = 0;
  bool end = false;     // v1 only
  bool signal = false;  // v3 only
};
struct SynthOrcSections {
  uint64_t ip_section_addr = 0;
  std::vector<uint8_t> ip_bytes;   // .orc_unwind_ip
  std::vector<uint8_t> orc_bytes;  // .orc_unwind
};
// Rows in the given order (the test decides whether they are sorted).
SynthOrcSections write_orc_v1(uint64_t ip_section_addr, const std::vector<SynthOrcRow>& rows);
SynthOrcSections write_orc_v3(uint64_t ip_section_addr, const std::vector<SynthOrcRow>& rows);

// Writes a minimal ET_EXEC x86_64 ELF holding the sections (and .orc_header when non-empty).
// Returns false when libelf fails.
bool write_orc_elf(const std::string& path, const SynthOrcSections& s, std::span<const uint8_t> orc_header = {},
                   bool relocatable = false);

// x86_64 pt_regs, 21 words in the kernel's order; fields by name.
struct SynthX86Regs {
  uint64_t r15 = 0, r14 = 0, r13 = 0, r12 = 0, bp = 0, bx = 0, r11 = 0, r10 = 0, r9 = 0, r8 = 0, ax = 0, cx = 0,
           dx = 0, si = 0, di = 0, orig_ax = 0, ip = 0, cs = 0x10, flags = 0x246, sp = 0, ss = 0x18;
};
std::vector<uint8_t> x86_pt_regs_bytes(const SynthX86Regs& r);
// arm64 pt_regs (6.1): regs[31] sp pc pstate orig_x0 syscallno/unused2 sdei_ttbr1 pmr_save
// stackframe[2] lockdep_hardirqs exit_rcu = 42 words (336 bytes).
struct SynthArm64Regs {
  std::array<uint64_t, 31> x{};
  uint64_t sp = 0, pc = 0, pstate = 0x3c5;  // EL1h with DAIF masked
  uint64_t stackframe_fp = 0, stackframe_lr = 0;
};
std::vector<uint8_t> arm64_pt_regs_bytes(const SynthArm64Regs& r);

}  // namespace kdx::test

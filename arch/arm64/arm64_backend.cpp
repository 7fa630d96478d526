// The arm64 ArchBackend constant: registers, PRSTATUS layout, Capstone mode, walker, config builder, pointer untagging.
#include <array>

#include "arm64_page_table.hpp"
#include "kdx/arch/arch_backend.hpp"

namespace kdx {

Result<TranslationConfig> arm64_config_from_vmcoreinfo(const dump::Vmcoreinfo& vi, PhysReader* phys,
                                                      const SymbolLookup& symbols);

namespace {

// struct user_pt_regs (arch/arm64/include/uapi/asm/ptrace.h); DWARF numbers from the
// AArch64 DWARF ABI (x0-x30 = 0-30, sp = 31, pc = 32).
constexpr std::array<PrstatusRegister, 34> kRegs = {{
    {"x0", 0},   {"x1", 1},   {"x2", 2},   {"x3", 3},   {"x4", 4},   {"x5", 5},   {"x6", 6},
    {"x7", 7},   {"x8", 8},   {"x9", 9},   {"x10", 10}, {"x11", 11}, {"x12", 12}, {"x13", 13},
    {"x14", 14}, {"x15", 15}, {"x16", 16}, {"x17", 17}, {"x18", 18}, {"x19", 19}, {"x20", 20},
    {"x21", 21}, {"x22", 22}, {"x23", 23}, {"x24", 24}, {"x25", 25}, {"x26", 26}, {"x27", 27},
    {"x28", 28}, {"x29", 29}, {"x30", 30}, {"sp", 31},   {"pc", 32},  {"pstate", -1},
}};
constexpr std::array<std::string_view, 2> kAliases = {"aarch64", "arm64le"};

std::unique_ptr<PageTableWalker> make_walker(const TranslationConfig& cfg, PhysReader& phys) {
  return std::make_unique<Arm64PageTableWalker>(cfg, phys);
}

}  // namespace

extern const ArchBackend kArm64Backend;
const ArchBackend kArm64Backend = {
    .name = "arm64",
    .aliases = kAliases,
    .elf_machine = 183,  // EM_AARCH64
    .pointer_size = 8,
    .little_endian = true,
    .capstone_arch = CS_ARCH_ARM64,
    .capstone_mode = CS_MODE_ARM,
    .prstatus_regs_offset = 112,
    .prstatus_size = 392,
    .prstatus_regs = kRegs,
    .prstatus_pc = 32,
    .prstatus_sp = 31,
    .prstatus_fp = 29,
    .make_walker = make_walker,
    .config_from_vmcoreinfo = arm64_config_from_vmcoreinfo,
    .untag_pointer = Arm64PageTableWalker::untag,
    .unwinder = nullptr,
    .fault_decoder = nullptr,
};

}  // namespace kdx

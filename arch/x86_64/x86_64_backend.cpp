// The x86_64 ArchBackend constant: registers, PRSTATUS layout, Capstone mode, walker and config builder.
#include <array>

#include "kdx/arch/arch_backend.hpp"
#include "x86_64_page_table.hpp"

namespace kdx {

Result<TranslationConfig> x86_64_config_from_vmcoreinfo(const dump::Vmcoreinfo& vi, PhysReader* phys,
                                                       const SymbolLookup& symbols);

namespace {

// struct user_regs_struct (arch/x86/include/asm/user_64.h), with DWARF numbers from the
// System V x86-64 psABI (rax 0, rdx 1, rcx 2, rbx 3, rsi 4, rdi 5, rbp 6, rsp 7, r8-r15 8-15,
// return address 16, rflags 49, es 50 ... gs 55, fs.base 58, gs.base 59).
constexpr std::array<PrstatusRegister, 27> kRegs = {{
    {"r15", 15}, {"r14", 14}, {"r13", 13}, {"r12", 12}, {"rbp", 6},     {"rbx", 3},      {"r11", 11},
    {"r10", 10}, {"r9", 9},   {"r8", 8},   {"rax", 0},  {"rcx", 2},     {"rdx", 1},      {"rsi", 4},
    {"rdi", 5},  {"orig_rax", -1},        {"rip", 16}, {"cs", 51},     {"eflags", 49},  {"rsp", 7},
    {"ss", 52},  {"fs_base", 58},          {"gs_base", 59},             {"ds", 53},      {"es", 50},
    {"fs", 54},  {"gs", 55},
}};
constexpr std::array<std::string_view, 2> kAliases = {"amd64", "x86-64"};

std::unique_ptr<PageTableWalker> make_walker(const TranslationConfig& cfg, PhysReader& phys) {
  return std::make_unique<X86_64PageTableWalker>(cfg, phys);
}

// x86_64 kernels do not tag pointers (LAM is user-only), so this is the identity.
uint64_t untag(const TranslationConfig&, uint64_t p) { return p; }

}  // namespace

extern const ArchBackend kX86_64Backend;
const ArchBackend kX86_64Backend = {
    .name = "x86_64",
    .aliases = kAliases,
    .elf_machine = 62,  // EM_X86_64
    .pointer_size = 8,
    .little_endian = true,
    .capstone_arch = CS_ARCH_X86,
    .capstone_mode = CS_MODE_64,
    .prstatus_regs_offset = 112,
    .prstatus_size = 336,
    .prstatus_regs = kRegs,
    .prstatus_pc = 16,
    .prstatus_sp = 19,
    .prstatus_fp = 4,
    .make_walker = make_walker,
    .config_from_vmcoreinfo = x86_64_config_from_vmcoreinfo,
    .untag_pointer = untag,
    .unwinder = nullptr,
    .fault_decoder = nullptr,
};

}  // namespace kdx

// Register names and pc/sp lookup for NT_PRSTATUS register words.
#include "kdx/dump/prstatus.hpp"

namespace kdx::dump {

const char* arch_name(Arch a) {
  switch (a) {
    case Arch::X86_64: return "x86_64";
    case Arch::Arm64: return "arm64";
    case Arch::Unknown: break;
  }
  return "unknown";
}

const std::vector<std::string>& prstatus_register_names(Arch a) {
  static const std::vector<std::string> x86 = {"r15", "r14", "r13", "r12", "rbp", "rbx", "r11",
                                               "r10", "r9",  "r8",  "rax", "rcx", "rdx", "rsi",
                                               "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss",
                                               "fs_base", "gs_base", "ds", "es", "fs", "gs"};
  static const std::vector<std::string> arm64 = [] {
    std::vector<std::string> v;
    for (int i = 0; i <= 30; ++i) v.push_back("x" + std::to_string(i));
    v.insert(v.end(), {"sp", "pc", "pstate"});
    return v;
  }();
  static const std::vector<std::string> none;
  switch (a) {
    case Arch::X86_64: return x86;
    case Arch::Arm64: return arm64;
    case Arch::Unknown: break;
  }
  return none;
}

static std::optional<uint64_t> word(const std::vector<uint64_t>& r, size_t i) {
  if (i >= r.size()) return std::nullopt;
  return r[i];
}

std::optional<uint64_t> PrStatus::pc(Arch a) const {
  if (a == Arch::X86_64) return word(regs, 16);
  if (a == Arch::Arm64) return word(regs, 32);
  return std::nullopt;
}
std::optional<uint64_t> PrStatus::sp(Arch a) const {
  if (a == Arch::X86_64) return word(regs, 19);
  if (a == Arch::Arm64) return word(regs, 31);
  return std::nullopt;
}

}  // namespace kdx::dump

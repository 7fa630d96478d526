// Per-CPU register notes (NT_PRSTATUS) of a dump: pid and the raw register words.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kdx::dump {

enum class Arch { Unknown, X86_64, Arm64 };
const char* arch_name(Arch a);  // "x86_64", "arm64", "unknown"

// One CPU's NT_PRSTATUS. regs holds the pr_reg words in the kernel's order:
// x86_64 user_regs_struct (27 words: r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi
// rdi orig_rax rip cs eflags rsp ss fs_base gs_base ds es fs gs), arm64 user_pt_regs
// (34 words: x0..x30 sp pc pstate).
struct PrStatus {
  int cpu = 0;           // index among the dump's PRSTATUS notes (= CPU number when all were online)
  uint32_t pid = 0;      // pr_pid: the task running on that CPU (0 = idle); see pid_is_vcpu
  bool pid_is_vcpu = false;  // QEMU writes its vCPU number here, not a Linux pid
  std::vector<uint64_t> regs;
  uint64_t note_offset = 0;  // file offset of the note's descriptor (for error messages)

  // Program counter / stack pointer for the given arch; nullopt if regs is too short.
  std::optional<uint64_t> pc(Arch a) const;
  std::optional<uint64_t> sp(Arch a) const;
};

// Register names in pr_reg order for arch (empty for Unknown).
const std::vector<std::string>& prstatus_register_names(Arch a);

// Byte layout of elf_prstatus on the 64-bit arches (from the kernel's elf_prstatus_common +
// pr_reg + pr_fpvalid): pid at 32, registers at 112.
inline constexpr uint64_t kPrstatusPidOffset = 32;
inline constexpr uint64_t kPrstatusRegOffset = 112;
inline constexpr uint64_t kPrstatusSizeX86_64 = 336;
inline constexpr uint64_t kPrstatusSizeArm64 = 392;

}  // namespace kdx::dump

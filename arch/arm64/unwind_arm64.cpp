// arm64 caller-frame rules: Linux's frame-record walk (arch/arm64/kernel/stacktrace.c, 6.1)
// plus recovery of the interrupted registers at exception boundaries.
#include "kdx/unwind/arm64_unwinder.hpp"

#include <fmt/format.h>

namespace kdx::unwind {

const char* arm64_reg_name(unsigned reg) {
  static constexpr const char* kNames[] = {
      "x0",  "x1",  "x2",  "x3",  "x4",  "x5",  "x6",  "x7",  "x8",  "x9",  "x10", "x11",
      "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23",
      "x24", "x25", "x26", "x27", "x28", "fp",  "lr",  "sp",  "pc",  "pstate"};
  return reg < kArm64PtRegsCount ? kNames[reg] : "?";
}

static uint64_t le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

Result<RegisterSet> arm64_registers_from_pt_regs(std::span<const uint8_t> bytes) {
  if (bytes.size() < kArm64PtRegsCount * 8)
    return make_error(ErrorCode::Truncated, "arm64 register block has {} bytes, expected at least {}", bytes.size(),
                      kArm64PtRegsCount * 8);
  RegisterSet r;
  for (unsigned i = 0; i < kArm64PtRegsCount; ++i) r.set(i, le64(bytes.data() + 8 * i));
  return r;
}

Result<RegisterSet> arm64_blocked_task_registers(VirtReader& mem, uint64_t cpu_context_addr,
                                                 uint64_t kernel_pac_mask) {
  uint8_t buf[13 * 8];
  if (auto r = mem.read_virt(cpu_context_addr, buf); !r) return std::unexpected(r.error());
  RegisterSet regs;
  for (unsigned i = 0; i < 10; ++i) regs.set(19 + i, le64(buf + 8 * i));
  regs.set(kArm64Fp, le64(buf + 80));
  regs.set(kArm64Sp, le64(buf + 88));
  regs.set(kArm64Pc, arm64_strip_pac(le64(buf + 96), kernel_pac_mask));
  return regs;
}

uint64_t arm64_kernel_pac_mask(unsigned va_bits) {
  if (va_bits == 0 || va_bits >= 64) return 0;
  return ~uint64_t{0} << va_bits;
}

uint64_t arm64_strip_pac(uint64_t addr, uint64_t kernel_pac_mask) {
  if (addr & (uint64_t{1} << 55)) return addr | kernel_pac_mask;
  // User pointers: TBI leaves bits 63:56 alone, the PAC sits in [54, va_bits).
  uint64_t user_mask = kernel_pac_mask & ((uint64_t{1} << 55) - 1);
  return addr & ~user_mask;
}

static std::unexpected<StopInfo> stop(StopReason r, std::string detail) {
  return std::unexpected(StopInfo{r, std::move(detail)});
}

// PSR_MODE_EL0t: the exception came from user space.
static bool user_pstate(uint64_t pstate) { return (pstate & 0xf) == 0; }

Arm64Stackwalker::Arm64Stackwalker(VirtReader& mem, WalkOptions options, Arm64UnwindConfig config)
    : Stackwalker(mem, std::move(options)), cfg_(std::move(config)) {
  pac_mask_ = cfg_.kernel_pac_mask ? cfg_.kernel_pac_mask : arm64_kernel_pac_mask(cfg_.va_bits);
}

std::expected<Frame, StopInfo> Arm64Stackwalker::context_frame(const RegisterSet& regs) {
  if (!regs.has(kArm64Pc) || !regs.has(kArm64Sp)) return stop(StopReason::BadContext, "context lacks pc or sp");
  Frame f;
  f.pc = *regs.get(kArm64Pc);
  f.sp = *regs.get(kArm64Sp);
  f.fp = regs.get(kArm64Fp);
  f.regs = regs;
  f.trust = FrameTrust::Context;
  if (auto ps = regs.get(kArm64Pstate)) f.user_mode = user_pstate(*ps);
  return f;
}

std::expected<Frame, StopInfo> Arm64Stackwalker::exception_frame(const Frame& callee, uint64_t record) {
  if (record < cfg_.pt_regs_stackframe_offset)
    return stop(StopReason::NoCallerFound, fmt::format("frame record {:#x} cannot be inside pt_regs", record));
  uint64_t regs_addr = record - cfg_.pt_regs_stackframe_offset;
  uint8_t buf[kArm64PtRegsCount * 8];
  if (auto r = mem_.read_virt(regs_addr, buf); !r)
    return stop(StopReason::UnreadableMemory,
                fmt::format("cannot read pt_regs at {:#x} below pc {:#x}: {}", regs_addr, callee.pc,
                            r.error().to_string()));
  Frame f;
  for (unsigned i = 0; i < kArm64PtRegsCount; ++i) f.regs.set(i, le64(buf + 8 * i));
  f.pc = f.regs.value[kArm64Pc];
  f.sp = f.regs.value[kArm64Sp];
  f.fp = f.regs.value[kArm64Fp];
  f.trust = FrameTrust::ExceptionFrame;
  f.pt_regs_address = regs_addr;
  f.user_mode = user_pstate(f.regs.value[kArm64Pstate]);
  return f;
}

std::expected<Frame, StopInfo> Arm64Stackwalker::caller_frame(std::span<const Frame> frames) {
  const Frame& callee = frames.back();
  if (!callee.fp || *callee.fp == 0)
    return stop(StopReason::EndOfStack, fmt::format("frame pointer is 0 at pc {:#x}", callee.pc));
  uint64_t record = *callee.fp;
  if (record & 7)
    return stop(StopReason::NoCallerFound, fmt::format("frame pointer {:#x} is misaligned", record));
  if (!on_stack(record, 16))
    return stop(StopReason::OutsideStack, fmt::format("frame record {:#x} is on no known stack", record));
  auto next_fp = read_u64(record);
  auto lr = read_u64(record + 8);
  if (!next_fp || !lr)
    return stop(StopReason::UnreadableMemory, fmt::format("cannot read frame record at {:#x}", record));

  // Entry code made x29 point at pt_regs->stackframe before calling the C handler, so the
  // handler's return address is in .entry.text and the record below it leads to the
  // interrupted context. The record is checked against the pt_regs it should be part of.
  if (cfg_.is_exception_entry && cfg_.is_exception_entry(callee.lookup_pc())) {
    auto ex = exception_frame(callee, record);
    if (ex) {
      bool kernel_record = *lr != 0 && *next_fp == ex->regs.value[kArm64Fp] && strip(*lr) == ex->pc;
      // A kernel thread's ret_from_fork also ends at a {0, 0} record, but its pt_regs are
      // all zero (copy_thread clears them): that is the end of the stack, not user mode.
      bool user_record = *next_fp == 0 && *lr == 0 && ex->user_mode && (ex->pc != 0 || ex->sp != 0);
      if (kernel_record || user_record) return ex;
    }
  }

  if (*next_fp == 0 && *lr == 0)
    return stop(StopReason::EndOfStack, fmt::format("final frame record at {:#x}", record));
  Frame f;
  f.pc = strip(*lr);
  if (f.pc != *lr) f.raw_return_address = *lr;
  // The caller's sp is not recorded; the record's end is a lower bound and grows with it.
  f.sp = record + 16;
  f.return_address_location = record + 8;
  f.fp = *next_fp;
  f.trust = FrameTrust::FramePointer;
  f.pc_is_return_address = true;
  f.regs.set(kArm64Pc, f.pc);
  f.regs.set(kArm64Fp, *next_fp);
  if (!plausible_pc(f.pc))
    return stop(StopReason::NoCallerFound,
                fmt::format("frame record at {:#x} holds non-text return address {:#x}", record, *lr));
  return f;
}

WalkResult unwind_arm64(VirtReader& mem, const RegisterSet& context, Arm64UnwindConfig config, WalkOptions options) {
  Arm64Stackwalker w(mem, std::move(options), std::move(config));
  return w.walk(context);
}

}  // namespace kdx::unwind

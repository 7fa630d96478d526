// x86_64 caller-frame rules: Linux's ORC algorithm (unwind_orc.c, 6.1), rbp chain, scan.
#include "kdx/unwind/x86_64_unwinder.hpp"

#include <fmt/format.h>

namespace kdx::unwind {

const char* x86_reg_name(unsigned reg) {
  static constexpr const char* kNames[] = {"r15", "r14", "r13", "r12", "rbp", "rbx",     "r11",
                                           "r10", "r9",  "r8",  "rax", "rcx", "rdx",     "rsi",
                                           "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss"};
  return reg < kX86PtRegsCount ? kNames[reg] : "?";
}

static uint64_t le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

Result<RegisterSet> x86_64_registers_from_pt_regs(std::span<const uint8_t> bytes) {
  if (bytes.size() < kX86PtRegsCount * 8)
    return make_error(ErrorCode::Truncated, "x86_64 register block has {} bytes, expected at least {}",
                      bytes.size(), kX86PtRegsCount * 8);
  RegisterSet r;
  for (unsigned i = 0; i < kX86PtRegsCount; ++i) r.set(i, le64(bytes.data() + 8 * i));
  return r;
}

Result<RegisterSet> x86_64_blocked_task_registers(VirtReader& mem, uint64_t thread_sp) {
  uint8_t buf[7 * 8];
  if (auto r = mem.read_virt(thread_sp, buf); !r) return std::unexpected(r.error());
  static constexpr unsigned kOrder[] = {kX86R15, kX86R14, kX86R13, kX86R12, kX86Rbx, kX86Rbp, kX86Rip};
  RegisterSet regs;
  for (unsigned i = 0; i < 7; ++i) regs.set(kOrder[i], le64(buf + 8 * i));
  regs.set(kX86Rsp, thread_sp + sizeof buf);
  return regs;
}

static bool user_cs(const RegisterSet& r) {
  auto cs = r.get(kX86Cs);
  return cs && (*cs & 3) == 3;
}

static std::unexpected<StopInfo> stop(StopReason r, std::string detail) {
  return std::unexpected(StopInfo{r, std::move(detail)});
}

X86_64Stackwalker::X86_64Stackwalker(VirtReader& mem, WalkOptions options, const OrcTableSet* orc)
    : Stackwalker(mem, std::move(options)), orc_(orc) {}

std::expected<Frame, StopInfo> X86_64Stackwalker::context_frame(const RegisterSet& regs) {
  if (!regs.has(kX86Rip) || !regs.has(kX86Rsp)) return stop(StopReason::BadContext, "context lacks rip or rsp");
  Frame f;
  f.pc = *regs.get(kX86Rip);
  f.sp = *regs.get(kX86Rsp);
  f.fp = regs.get(kX86Rbp);
  f.regs = regs;
  f.trust = FrameTrust::Context;
  f.user_mode = user_cs(regs);
  return f;
}

Result<Frame> X86_64Stackwalker::read_exception_frame(uint64_t pt_regs_addr, bool partial, const Frame& callee) {
  Frame f;
  f.trust = FrameTrust::ExceptionFrame;
  f.pt_regs_address = pt_regs_addr;
  if (partial) {
    // Only the hardware iret frame is valid; rbp is whatever it was in the callee.
    uint8_t buf[5 * 8];
    if (auto r = mem_.read_virt(pt_regs_addr + kX86IretFrameOffset, buf); !r) return std::unexpected(r.error());
    for (unsigned i = 0; i < 5; ++i) f.regs.set(kX86Rip + i, le64(buf + 8 * i));
    if (callee.fp) f.regs.set(kX86Rbp, *callee.fp);
  } else {
    uint8_t buf[kX86PtRegsCount * 8];
    if (auto r = mem_.read_virt(pt_regs_addr, buf); !r) return std::unexpected(r.error());
    for (unsigned i = 0; i < kX86PtRegsCount; ++i) f.regs.set(i, le64(buf + 8 * i));
  }
  f.pc = f.regs.value[kX86Rip];
  f.sp = f.regs.value[kX86Rsp];
  f.fp = f.regs.get(kX86Rbp);
  f.user_mode = user_cs(f.regs);
  return f;
}

std::expected<Frame, StopInfo> X86_64Stackwalker::orc_step(const Frame& callee, const OrcEntry& e) {
  auto unreadable = [&](const Error& err, const char* what) {
    return stop(StopReason::UnreadableMemory, fmt::format("ORC: cannot read {} for pc {:#x}: {}", what, callee.pc,
                                                          err.to_string()));
  };
  uint64_t sp = 0;
  bool indirect = false;
  auto from_reg = [&](unsigned reg) -> std::optional<uint64_t> { return callee.regs.get(reg); };
  std::optional<uint64_t> base;
  switch (e.sp_reg) {
    case OrcReg::Sp: base = callee.sp + e.sp_offset; break;
    case OrcReg::Bp: if (callee.fp) base = *callee.fp + e.sp_offset; break;
    case OrcReg::SpIndirect: base = callee.sp; indirect = true; break;
    case OrcReg::BpIndirect: if (callee.fp) base = *callee.fp + e.sp_offset; indirect = true; break;
    // These only hold the previous sp in entry code, where the callee frame is a full
    // register context (PRSTATUS or pt_regs).
    case OrcReg::R10: base = from_reg(kX86R10); break;
    case OrcReg::R13: base = from_reg(kX86R13); break;
    case OrcReg::Di: base = from_reg(kX86Rdi); break;
    case OrcReg::Dx: base = from_reg(kX86Rdx); break;
    default:
      return stop(StopReason::NoCallerFound,
                  fmt::format("ORC: unsupported sp_reg {} at pc {:#x}", static_cast<int>(e.sp_reg), callee.pc));
  }
  if (!base)
    return stop(StopReason::NoCallerFound,
                fmt::format("ORC: base register {} unknown at pc {:#x}", static_cast<int>(e.sp_reg), callee.pc));
  sp = *base;
  if (indirect) {
    auto v = read_u64(sp);
    if (!v) return unreadable(v.error(), "indirect stack pointer");
    sp = *v;
    if (e.sp_reg == OrcReg::SpIndirect) sp += e.sp_offset;
  }

  Frame f;
  switch (e.type) {
    case OrcType::Call: {
      auto ip = read_u64(sp - 8);
      if (!ip) return unreadable(ip.error(), "return address");
      f.pc = *ip;
      f.sp = sp;
      f.return_address_location = sp - 8;
      f.trust = FrameTrust::Cfi;
      f.pc_is_return_address = !e.signal;
      f.regs.set(kX86Rip, f.pc);
      f.regs.set(kX86Rsp, f.sp);
      break;
    }
    case OrcType::Regs:
    case OrcType::RegsPartial: {
      bool partial = e.type == OrcType::RegsPartial;
      auto r = read_exception_frame(partial ? sp - kX86IretFrameOffset : sp, partial, callee);
      if (!r) return unreadable(r.error(), "pt_regs");
      f = std::move(*r);
      break;
    }
    default:
      return stop(StopReason::NoCallerFound, fmt::format("ORC: no unwind data at pc {:#x}", callee.pc));
  }

  switch (e.bp_reg) {
    case OrcReg::Undefined:
      // Unchanged, except that full pt_regs carry the interrupted rbp.
      if (e.type != OrcType::Regs) f.fp = callee.fp;
      break;
    case OrcReg::PrevSp: {
      auto bp = read_u64(sp + e.bp_offset);
      if (!bp) return unreadable(bp.error(), "saved rbp");
      f.fp = *bp;
      break;
    }
    case OrcReg::Bp: {
      if (!callee.fp)
        return stop(StopReason::NoCallerFound, fmt::format("ORC: rbp unknown at pc {:#x}", callee.pc));
      auto bp = read_u64(*callee.fp + e.bp_offset);
      if (!bp) return unreadable(bp.error(), "saved rbp");
      f.fp = *bp;
      break;
    }
    default:
      return stop(StopReason::NoCallerFound,
                  fmt::format("ORC: unsupported bp_reg {} at pc {:#x}", static_cast<int>(e.bp_reg), callee.pc));
  }
  if (f.fp)
    f.regs.set(kX86Rbp, *f.fp);
  else
    f.regs.forget(kX86Rbp);
  return f;
}

std::expected<Frame, StopInfo> X86_64Stackwalker::frame_pointer_step(const Frame& callee) {
  if (!callee.fp || *callee.fp == 0) return stop(StopReason::NoCallerFound, "no frame pointer");
  uint64_t bp = *callee.fp;
  if (bp & 1) {
    // CONFIG_UNWINDER_FRAME_POINTER kernels mark a pt_regs pointer in rbp with bit 0
    // (ENCODE_FRAME_POINTER in entry code).
    uint64_t regs = bp & ~uint64_t{1};
    if (!on_stack(regs, kX86PtRegsCount * 8))
      return stop(StopReason::NoCallerFound, fmt::format("encoded frame pointer {:#x} is off the stack", bp));
    auto f = read_exception_frame(regs, false, callee);
    if (!f) return stop(StopReason::UnreadableMemory, f.error().to_string());
    return std::move(*f);
  }
  // Below sp is only wrong on the same stack: a record on another stack is a stack switch.
  bool same_stack = region_of(bp, 16) == region_of(callee.sp);
  if ((same_stack && bp < callee.sp) || (bp & 7) != 0 || !on_stack(bp, 16))
    return stop(StopReason::NoCallerFound, fmt::format("rbp {:#x} is not a frame pointer on this stack", bp));
  auto next = read_u64(bp);
  auto ret = read_u64(bp + 8);
  if (!next || !ret) return stop(StopReason::UnreadableMemory, fmt::format("cannot read frame record at {:#x}", bp));
  if (!plausible_pc(*ret))
    return stop(StopReason::NoCallerFound, fmt::format("frame record at {:#x} holds non-text {:#x}", bp, *ret));
  Frame f;
  f.pc = *ret;
  f.sp = bp + 16;
  f.return_address_location = bp + 8;
  f.fp = *next;
  f.trust = FrameTrust::FramePointer;
  f.pc_is_return_address = true;
  f.regs.set(kX86Rip, f.pc);
  f.regs.set(kX86Rsp, f.sp);
  f.regs.set(kX86Rbp, *next);
  return f;
}

std::expected<Frame, StopInfo> X86_64Stackwalker::caller_frame(std::span<const Frame> frames) {
  const Frame& callee = frames.back();
  std::string why;
  if (orc_ && !orc_->empty()) {
    auto e = orc_->find(callee.lookup_pc());
    if (e && e->type == OrcType::EndOfStack)
      return stop(StopReason::EndOfStack, fmt::format("ORC marks pc {:#x} as the outermost frame", callee.pc));
    if (e && e->type != OrcType::Undefined) {
      auto r = orc_step(callee, *e);
      if (r && (r->trust != FrameTrust::Cfi || plausible_pc(r->pc))) return r;
      why = r ? fmt::format("ORC gave non-text return address {:#x}", r->pc) : r.error().detail;
      // An unreadable stack stops the walk: the fallbacks would only read the same bytes.
      if (!r && r.error().reason == StopReason::UnreadableMemory) return r;
    } else {
      why = fmt::format("no ORC data for pc {:#x}", callee.pc);
    }
  }
  // Without ORC the kernel keeps frame pointers, and rbp 0 marks the outermost frame.
  if ((!orc_ || orc_->empty()) && callee.fp && *callee.fp == 0)
    return stop(StopReason::EndOfStack, fmt::format("rbp is 0 at pc {:#x}", callee.pc));
  auto fp = frame_pointer_step(callee);
  if (fp) return fp;
  if (fp.error().reason == StopReason::UnreadableMemory && why.empty()) return fp;
  if (!why.empty()) why += "; ";
  why += fp.error().detail;
  if (auto s = scan_for_caller(callee.sp)) {
    s->regs.set(kX86Rip, s->pc);
    s->regs.set(kX86Rsp, s->sp);
    return *s;
  }
  return stop(StopReason::NoCallerFound, why);
}

WalkResult unwind_x86_64(VirtReader& mem, const RegisterSet& context, const OrcTableSet* orc, WalkOptions options) {
  X86_64Stackwalker w(mem, std::move(options), orc);
  return w.walk(context);
}

}  // namespace kdx::unwind

// Stack frames as the unwinder produces them: pc, sp, trust level, known registers, stack regions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kdx::unwind {

// How a frame was found, least trusted first (Breakpad's FrameTrust). A report should show
// anything below Cfi with a marker, because such frames may be wrong.
enum class FrameTrust {
  None,            // not filled in
  Scan,            // a stack word that looks like kernel text; may be a stale value
  FramePointer,    // followed the frame-pointer chain (x86 rbp, arm64 x29/x30 records)
  Cfi,             // unwind tables (ORC on x86_64)
  ExceptionFrame,  // registers read from a pt_regs saved by the kernel's entry code
  Context,         // the registers the walk started from (PRSTATUS or a saved context)
};
const char* frame_trust_name(FrameTrust t);

// Register values with a bit per register saying whether it is known. Register numbers are
// per architecture (X86Reg, Arm64Reg): both number registers in their pt_regs order.
struct RegisterSet {
  static constexpr unsigned kMaxRegs = 34;
  std::array<uint64_t, kMaxRegs> value{};
  uint64_t known = 0;

  bool has(unsigned r) const { return r < kMaxRegs && ((known >> r) & 1); }
  std::optional<uint64_t> get(unsigned r) const {
    if (!has(r)) return std::nullopt;
    return value[r];
  }
  void set(unsigned r, uint64_t v) {
    if (r >= kMaxRegs) return;
    value[r] = v;
    known |= uint64_t{1} << r;
  }
  void forget(unsigned r) {
    if (r < kMaxRegs) known &= ~(uint64_t{1} << r);
  }
};

// One stack the walk may run on: a task stack (base .. base + THREAD_SIZE), an IRQ stack, an
// exception stack. end is exclusive.
struct StackRegion {
  uint64_t begin = 0;
  uint64_t end = 0;
  std::string name;  // "task", "irq", "nmi", ... shown in reports
  bool contains(uint64_t addr, uint64_t size = 8) const {
    return addr >= begin && addr < end && size <= end - addr;
  }
};

struct Frame {
  uint64_t pc = 0;                    // instruction address (a return address in caller frames)
  uint64_t sp = 0;                    // stack pointer on entry to this frame's code position
  std::optional<uint64_t> fp;         // rbp / x29 when known
  FrameTrust trust = FrameTrust::None;
  RegisterSet regs;                   // every register known in this frame, pc/sp/fp included
  // True when pc is a return address: the call instruction is before it, so symbolize and
  // look up unwind data at pc - 1 (otherwise a call at a function's end names the next one).
  bool pc_is_return_address = false;
  // Exception frames: where the pt_regs were read from.
  std::optional<uint64_t> pt_regs_address;
  // The frame's registers are a user-mode context (the walk ends after it).
  bool user_mode = false;
  // Index into the walk's stack regions of the stack sp is on; -1 when unknown.
  int stack_index = -1;
  // Where the return address was read from (crash's "#N [stack address]"); unset for
  // context and exception frames.
  std::optional<uint64_t> return_address_location;
  // arm64: pc had pointer-authentication bits that were stripped (raw value kept here).
  std::optional<uint64_t> raw_return_address;

  uint64_t lookup_pc() const { return pc_is_return_address && pc != 0 ? pc - 1 : pc; }
};

// Why a walk ended. EndOfStack and UserMode are clean ends; the others say the trace may be
// incomplete.
enum class StopReason {
  EndOfStack,        // the unwind data or the frame chain says this is the outermost frame
  UserMode,          // the last frame is the user-mode context saved at kernel entry
  FrameLimit,        // WalkOptions::max_frames reached
  StackNotMoving,    // caller sp not above callee sp on the same stack: a loop or bad data
  OutsideStack,      // caller sp is on none of the given stacks
  StackRevisited,    // the walk came back to a stack it had already left
  UnreadableMemory,  // a stack word or pt_regs could not be read from the dump
  NoCallerFound,     // no unwind data, frame pointer or scan produced a plausible caller
  BadContext,        // the starting registers lack pc or sp
};
const char* stop_reason_name(StopReason r);

struct WalkResult {
  std::vector<Frame> frames;
  StopReason stop = StopReason::EndOfStack;
  std::string stop_detail;  // one line for people, e.g. "no ORC entry and no frame pointer at 0x..."
  bool complete() const { return stop == StopReason::EndOfStack || stop == StopReason::UserMode; }
};

}  // namespace kdx::unwind

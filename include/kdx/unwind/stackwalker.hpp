// The architecture-independent stack walk loop (Breakpad's Stackwalker): limits and sanity checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kdx/unwind/frame.hpp"
#include "kdx/virt_reader.hpp"

namespace kdx::unwind {

struct WalkOptions {
  // Stacks the walk may use. Empty: no bounds check, only "sp must grow". With regions, a
  // caller frame's sp must be on one of them, grow while it stays on the same one, and never
  // return to a stack it left (IRQ stack -> task stack is fine, back is a loop).
  std::vector<StackRegion> stacks;
  size_t max_frames = 256;
  // Scanning (last resort) looks at this many words above the callee's sp.
  size_t scan_words = 128;
  bool allow_scan = true;
  // The starting pc is a return address rather than an interrupted instruction: true for a
  // task that is not running (its saved pc is where __switch_to returns; Linux x86 makes an
  // exception for ret_from_fork, which a new task "returns" to without a call).
  bool context_pc_is_return_address = false;
  // Says whether an address is in kernel (or module) text. Without it there is no scan and
  // return addresses are not checked.
  std::function<bool(uint64_t)> is_kernel_text;
};

// Why a caller step found no caller.
struct StopInfo {
  StopReason reason = StopReason::NoCallerFound;
  std::string detail;
};

class Stackwalker {
 public:
  Stackwalker(VirtReader& mem, WalkOptions options);
  virtual ~Stackwalker() = default;
  Stackwalker(const Stackwalker&) = delete;
  Stackwalker& operator=(const Stackwalker&) = delete;

  // Walks from the given registers (PRSTATUS or a saved context). Never fails: the result
  // holds the frames found (at least the context frame unless stop == BadContext) and why
  // the walk ended.
  WalkResult walk(const RegisterSet& context);

  const WalkOptions& options() const { return opts_; }

 protected:
  // The first frame, from the starting registers; fails when pc or sp is missing.
  virtual std::expected<Frame, StopInfo> context_frame(const RegisterSet& regs) = 0;
  // The caller of frames.back() (frames[0] is the context frame); a StopInfo when there is
  // none. The base class then checks the stack-pointer rules before accepting the frame.
  virtual std::expected<Frame, StopInfo> caller_frame(std::span<const Frame> frames) = 0;

  // Helpers for subclasses.
  // Reads a little-endian u64; fails with the reader's error (address = the bad byte).
  Result<uint64_t> read_u64(uint64_t addr) { return mem_.read_u64(addr); }
  // Index of the stack region holding [addr, addr+size), or -1. Always -1 without regions.
  int region_of(uint64_t addr, uint64_t size = 8) const;
  // True when [addr, addr+size) is on a given stack, or when no stacks were given.
  bool on_stack(uint64_t addr, uint64_t size = 8) const;
  // True when the predicate accepts pc, or when there is no predicate.
  bool plausible_pc(uint64_t pc) const;
  // Breakpad's ScanForReturnAddress: the first word at or above `from` (up to scan_words,
  // staying on from's stack) that is_kernel_text accepts. The frame has trust Scan, pc =
  // that word, sp = the word's address + 8. nullopt when scanning is off or nothing found.
  std::optional<Frame> scan_for_caller(uint64_t from);

  VirtReader& mem_;
  WalkOptions opts_;
};

}  // namespace kdx::unwind

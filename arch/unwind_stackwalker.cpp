// The generic stack walk loop: frame limit, stack-bounds and "sp must grow" checks, and scanning.
#include "kdx/unwind/stackwalker.hpp"

#include <fmt/format.h>

namespace kdx::unwind {

const char* frame_trust_name(FrameTrust t) {
  switch (t) {
    case FrameTrust::None: return "none";
    case FrameTrust::Scan: return "scan";
    case FrameTrust::FramePointer: return "frame_pointer";
    case FrameTrust::Cfi: return "cfi";
    case FrameTrust::ExceptionFrame: return "exception_frame";
    case FrameTrust::Context: return "context";
  }
  return "unknown";
}

const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::EndOfStack: return "end_of_stack";
    case StopReason::UserMode: return "user_mode";
    case StopReason::FrameLimit: return "frame_limit";
    case StopReason::StackNotMoving: return "stack_not_moving";
    case StopReason::OutsideStack: return "outside_stack";
    case StopReason::StackRevisited: return "stack_revisited";
    case StopReason::UnreadableMemory: return "unreadable_memory";
    case StopReason::NoCallerFound: return "no_caller_found";
    case StopReason::BadContext: return "bad_context";
  }
  return "unknown";
}

Stackwalker::Stackwalker(VirtReader& mem, WalkOptions options) : mem_(mem), opts_(std::move(options)) {}

int Stackwalker::region_of(uint64_t addr, uint64_t size) const {
  for (size_t i = 0; i < opts_.stacks.size(); ++i)
    if (opts_.stacks[i].contains(addr, size)) return static_cast<int>(i);
  return -1;
}

bool Stackwalker::on_stack(uint64_t addr, uint64_t size) const {
  return opts_.stacks.empty() || region_of(addr, size) >= 0;
}

bool Stackwalker::plausible_pc(uint64_t pc) const {
  return !opts_.is_kernel_text || opts_.is_kernel_text(pc);
}

std::optional<Frame> Stackwalker::scan_for_caller(uint64_t from) {
  if (!opts_.allow_scan || !opts_.is_kernel_text) return std::nullopt;
  int region = region_of(from);
  if (!opts_.stacks.empty() && region < 0) return std::nullopt;
  for (size_t i = 0; i < opts_.scan_words; ++i) {
    uint64_t addr = from + 8 * i;
    if (addr < from) break;  // wrapped
    if (region >= 0 && !opts_.stacks[region].contains(addr, 8)) break;
    auto word = read_u64(addr);
    if (!word) break;
    if (*word != 0 && opts_.is_kernel_text(*word)) {
      Frame f;
      f.pc = *word;
      f.sp = addr + 8;
      f.return_address_location = addr;
      f.trust = FrameTrust::Scan;
      f.pc_is_return_address = true;
      return f;
    }
  }
  return std::nullopt;
}

// A caller sp may sit exactly at a stack's end (the outermost frame popped everything), so
// this check accepts end itself, unlike StackRegion::contains.
static int region_of_sp(const std::vector<StackRegion>& stacks, uint64_t sp) {
  for (size_t i = 0; i < stacks.size(); ++i)
    if (sp >= stacks[i].begin && sp <= stacks[i].end) return static_cast<int>(i);
  return -1;
}

WalkResult Stackwalker::walk(const RegisterSet& context) {
  WalkResult out;
  auto first = context_frame(context);
  if (!first) {
    out.stop = first.error().reason;
    out.stop_detail = first.error().detail;
    return out;
  }
  first->stack_index = region_of_sp(opts_.stacks, first->sp);
  if (opts_.context_pc_is_return_address) first->pc_is_return_address = true;
  out.frames.push_back(std::move(*first));
  std::vector<bool> left(opts_.stacks.size(), false);

  for (;;) {
    const Frame& callee = out.frames.back();
    if (callee.user_mode) {
      out.stop = StopReason::UserMode;
      out.stop_detail = fmt::format("user-mode registers at pc {:#x}", callee.pc);
      break;
    }
    if (out.frames.size() >= opts_.max_frames) {
      out.stop = StopReason::FrameLimit;
      out.stop_detail = fmt::format("stopped after {} frames", opts_.max_frames);
      break;
    }
    auto step = caller_frame(out.frames);
    if (!step) {
      out.stop = step.error().reason;
      out.stop_detail = step.error().detail;
      break;
    }
    Frame caller = std::move(*step);
    int idx = region_of_sp(opts_.stacks, caller.sp);
    if (caller.user_mode) {
      // A user context's sp is on the user stack, outside every kernel stack.
      caller.stack_index = idx;
      out.frames.push_back(std::move(caller));
      continue;
    }
    if (caller.pc == 0) {
      out.stop = StopReason::EndOfStack;
      out.stop_detail = fmt::format("return address 0 at sp {:#x}", caller.sp);
      break;
    }
    if (!opts_.stacks.empty()) {
      if (idx < 0) {
        out.stop = StopReason::OutsideStack;
        out.stop_detail = fmt::format("caller sp {:#x} (pc {:#x}) is on no known stack", caller.sp, caller.pc);
        break;
      }
      if (idx == callee.stack_index) {
        if (caller.sp <= callee.sp) {
          out.stop = StopReason::StackNotMoving;
          out.stop_detail = fmt::format("caller sp {:#x} not above callee sp {:#x} on the {} stack", caller.sp,
                                        callee.sp, opts_.stacks[idx].name);
          break;
        }
      } else {
        if (left[idx]) {
          out.stop = StopReason::StackRevisited;
          out.stop_detail = fmt::format("caller sp {:#x} returns to the {} stack, which the walk already left",
                                        caller.sp, opts_.stacks[idx].name);
          break;
        }
        if (callee.stack_index >= 0) left[callee.stack_index] = true;
      }
    } else if (caller.sp <= callee.sp) {
      out.stop = StopReason::StackNotMoving;
      out.stop_detail = fmt::format("caller sp {:#x} not above callee sp {:#x}", caller.sp, callee.sp);
      break;
    }
    caller.stack_index = idx;
    out.frames.push_back(std::move(caller));
  }
  return out;
}

}  // namespace kdx::unwind

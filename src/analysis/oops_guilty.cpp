// Guilty-frame selection for a titled report: header function, skip lists, stall dispatch anchors.
#include "kdx/analysis/oops_guilty.hpp"

#include <algorithm>
#include <regex>

namespace kdx::analysis {

// "#0: ffff888 (&lock){+.+.}, at: func+0x1/0x2": lockdep's list of held locks, not a stack.
bool is_held_lock_line(std::string_view t) {
  t = trim(t);
  // Lockdep's irq-state history and preempt-count origin name where, not who.
  if (t.find("last enabled at") != std::string_view::npos || t.find("last disabled at") != std::string_view::npos ||
      t.starts_with("Preemption disabled at") || t.starts_with("irq event stamp"))
    return true;
  // spinlock_debug's " lock: rcu_state+0x40/0x80, .magic: ..." names the lock object, and
  // kmem_dump_obj's "Register r11 information: ... allocated at kernel_clone+0x9c/0x3f4" its allocator.
  if (t.starts_with("lock: ") || (t.starts_with("Register ") && t.find(" information: ") != std::string_view::npos))
    return true;
  if (t.size() < 3 || t[0] != '#') return false;
  size_t i = 1;
  while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
  return i > 1 && i < t.size() && t[i] == ':';
}

bool is_stack_header(std::string_view t) {
  t = trim(t);
  return t.starts_with("Call Trace") || t.starts_with("Call trace") || t.starts_with("Backtrace:") ||
         t.starts_with("NMI backtrace for cpu") ||
         t.starts_with("backtrace:") || t == "stack backtrace:";
}

namespace {

std::optional<size_t> first_index(const std::vector<OopsFrame>& frames, auto pred) {
  for (size_t i = 0; i < frames.size(); ++i) {
    if (pred(frames[i])) return i;
  }
  return std::nullopt;
}

// Frames of the code that detected the stall and printed this report.
bool is_stall_detector(std::string_view function) {
  static const std::regex re(
      "^(.*sched_show_task|print_other_cpu_stall|print_cpu_stall|check_cpu_stall|rcu_.*|"
      "nmi_cpu_backtrace|nmi_trigger_.*|arch_trigger_.*|dump_cpu_task|watchdog_timer_fn|watchdog_overflow_callback)$",
      std::regex::ECMAScript | std::regex::optimize);
  return std::regex_match(base_function(function), re);
}

// Frames of the stall detector and the timer interrupt that runs it.
bool is_stall_plumbing(std::string_view function) {
  static const std::regex re(
      "^(.*sched_show_task|print_other_cpu_stall|print_cpu_stall|check_cpu_stall|rcu_.*|"
      "update_process_times|tick_.*|__hrtimer_run_queues|hrtimer_interrupt|.*apic_timer_interrupt.*|"
      "__handle_domain_irq|handle_domain_irq|__irq_svc|__irq_usr|"
      "nmi_.*|arch_trigger_.*|dump_cpu_task|watchdog_timer_fn|.*_timer_interrupt|"
      "__sysvec_.*|sysvec_.*|asm_.*|irq_exit.*|__irq_exit.*|do_softirq_own_stack|do_softirq|__do_softirq|"
      "handle_softirqs|"
      "arch_timer_handler_.*|handle_percpu_devid_irq|generic_handle_.*|gic_handle_irq|el1_interrupt|"
      "el1h_64_irq.*|call_on_irq_stack|do_interrupt_handler)$",
      std::regex::ECMAScript | std::regex::optimize);
  std::string f = base_function(function);
  return std::regex_match(f, re);
}

// Allocation wrappers a leak passes through on its way to the caller that owns the memory.
bool is_leak_allocator(std::string_view f) {
  static const std::regex re(
      "^(kmemleak.*|create_object|__create_object|sock_kmalloc|sk_prot_alloc|__alloc_skb|alloc_skb.*|"
      "dev_alloc_skb|__dev_alloc_skb|netdev_alloc_.*|napi_alloc_.*|"
      "__netdev_alloc_skb|netdev_alloc_skb|__napi_alloc_skb|radix_tree_node_alloc|xas_alloc|xas_create|"
      "idr_get_free|kmemdup|kstrdup|kstrndup|kobject_set_name_vargs|kvasprintf.*|sk_alloc|"
      "__d_alloc|d_alloc|alloc_inode|new_inode.*|__register_sysctl_table)$",
      std::regex::ECMAScript | std::regex::optimize);
  return std::regex_match(std::string(f), re);
}


}  // namespace

std::string pick_guilty(const HeaderMatch& f, const std::vector<OopsFrame>& frames, const std::vector<LogLine>& lines,
                        const std::vector<size_t>& region, bool ignore_header_func, const std::regex* kind_skip) {
  const HeaderRule& r = *f.rule;
  // Global skip list, the rule's own fragments and the checker sub-kind's fragments.
  auto skipped = [&](std::string_view fn) {
    if (is_skipped_frame(fn)) return true;
    std::string b = base_function(fn);
    return (r.skip && std::regex_search(b, *r.skip)) || (kind_skip && std::regex_search(b, *kind_skip));
  };
  if (r.frame_group > 0 && !ignore_header_func && static_cast<size_t>(r.frame_group) < f.groups.size()) {
    std::string hf = f.groups[r.frame_group];
    if (auto plus = hf.find('+'); plus != std::string::npos) hf.resize(plus);
    if (!hf.empty() && hf.find('/') == std::string::npos && !skipped(hf) && hf != "0x0" &&
        !hf.starts_with("0x") && !(hf.size() >= 8 && parse_hex(hf)))
      return hf;
  }
  // Held-lock lines name where locks were taken; only the "returning with locks held" report
  // is about them.
  const bool locks_matter = r.title.find("lock held when returning") != std::string::npos ||
                            r.title.find("held lock freed") != std::string::npos ||
                            r.title.find("still has locks held") != std::string::npos;
  auto usable = [&](const OopsFrame& fr) {
    return fr.reliable && fr.source != "lr" && (fr.source != "lock" || locks_matter) && !fr.function.empty() &&
           !skipped(fr.function);
  };
  // Frames printed on the lines right after region line `from` (a lockdep "at:" stack), in order.
  auto stack_after = [&](size_t from) {
    std::vector<OopsFrame> out;
    bool started = false;
    for (size_t idx : region) {
      if (idx <= from) continue;
      auto fr = parse_frame(lines[idx].text);
      if (!fr) {
        if (started || !trim(lines[idx].text).empty()) break;
        continue;
      }
      started = true;
      out.push_back(*fr);
    }
    return out;
  };
  for (size_t idx : region) {
    auto t = trim(lines[idx].text);
    if (t.starts_with("last function: ")) return std::string(trim(t.substr(15)));
  }
  switch (r.policy) {
    case FramePolicy::None:
      return "";
    case FramePolicy::Leak: {
      bool after_bt = false;
      // Leak frames are the ones listed after "backtrace:".
      for (size_t idx : region) {
        auto t = trim(lines[idx].text);
        if (t.starts_with("backtrace:")) {
          after_bt = true;
          continue;
        }
        if (!after_bt) continue;
        auto fr = parse_frame(lines[idx].text);
        if (!fr) {
          if (!t.empty()) break;
          continue;
        }
        auto b = base_function(fr->function);
        if (usable(*fr) && !is_leak_allocator(b))
          return fr->function;
      }
      return "";
    }
    case FramePolicy::Hung: {
      if (auto i = first_index(frames, [&](const OopsFrame& fr) { return usable(fr) && !is_wait_frame(fr.function); }))
        return frames[*i].function;
      return "";
    }
    case FramePolicy::LockSites: {
      // The site of the lock being acquired, then of the lock already held, then the task's stack.
      int sites = 0;
      for (size_t idx : region) {
        auto t = trim(lines[idx].text);
        if (t == "stack backtrace:" || t.starts_with("the existing dependency chain")) break;
        if (t.find("at: ") == std::string_view::npos || is_held_lock_line(t)) continue;
        auto fr = parse_frame(t);
        if (!fr) continue;
        if (!skipped(fr->function)) return fr->function;
        if (++sites == 2) break;
      }
      for (size_t idx : region) {
        if (trim(lines[idx].text) != "stack backtrace:") continue;
        for (const auto& fr : frames) {
          if (fr.line > idx && usable(fr)) return fr.function;
        }
      }
      return "";
    }
    case FramePolicy::BecameAt: {
      // "... which became HARDIRQ-irq-safe at:" is followed by the stack that took the lock in
      // interrupt context: that is where the inversion starts.
      for (size_t idx : region) {
        auto t = trim(lines[idx].text);
        if (!t.starts_with("... which became ") || !t.ends_with(" at:")) continue;
        for (const auto& fr : stack_after(idx)) {
          if (fr.reliable && !skipped(fr.function)) return fr.function;
        }
        break;
      }
      return "";
    }
    case FramePolicy::StallStrict:
    case FramePolicy::Stall: {
      // The stall detector's own frames and the RCU grace-period kthread's stack say nothing
      // about the loop; the stalled context's frames follow them. The looping function is the
      // one called by the first generic dispatch frame (syscall, vfs, socket, softirq, work).
      std::vector<const OopsFrame*> ctx;
      std::vector<const OopsFrame*> stack;
      auto flush = [&]() {
        bool gp = std::any_of(stack.begin(), stack.end(), [](const OopsFrame* fr) {
          return base_function(fr->function) == "rcu_gp_kthread";
        });
        if (!gp) ctx.insert(ctx.end(), stack.begin(), stack.end());
        stack.clear();
      };
      size_t fi = 0;
      for (size_t idx : region) {
        if (is_stack_header(lines[idx].text)) flush();
        for (; fi < frames.size() && frames[fi].line == idx; ++fi) {
          const OopsFrame& fr = frames[fi];
          if (!fr.reliable || fr.source == "lr" || fr.source == "lock" || fr.function.empty()) continue;
          stack.push_back(&fr);
        }
      }
      flush();
      // An RCU stall report that shows only sleeping tasks (no interrupted context: no kernel
      // IP and no interrupt entry) does not show the looping code at all.
      if (r.title.find("rcu detected stall") != std::string::npos &&
          std::none_of(ctx.begin(), ctx.end(), [](const OopsFrame* fr) {
            static const std::regex irq_entry(
                "^(.*apic_timer_interrupt.*|gic_handle_irq|el1_interrupt|el1h_64_irq.*|__irq_svc|irq_exit.*|"
                ".*_timer_interrupt|sysvec_.*|asm_sysvec_.*|call_on_irq_stack|do_interrupt_handler)$");
            return fr->source == "ip" || std::regex_match(base_function(fr->function), irq_entry);
          }))
        return "";
      // Past the detector, the first printed instruction pointer is where the stalled code was
      // interrupted: start there when the report has one.
      if (auto d = std::find_if(ctx.begin(), ctx.end(), [](const OopsFrame* fr) { return is_stall_detector(fr->function); });
          d != ctx.end()) {
        auto k = std::find_if(d, ctx.end(), [](const OopsFrame* fr) { return fr->source == "ip"; });
        if (k != ctx.end()) ctx.erase(ctx.begin(), k);
      }
      std::erase_if(ctx, [](const OopsFrame* fr) { return is_stall_plumbing(fr->function); });
      for (size_t i = 0; i < ctx.size(); ++i) {
        if (title_function(ctx[i]->function) == "smp_call_function") return ctx[i]->function;
        if (!is_anchor_frame(ctx[i]->function)) continue;
        if (i > 0 && !skipped(ctx[i - 1]->function) && !is_anchor_frame(ctx[i - 1]->function))
          return ctx[i - 1]->function;
      }
      if (r.policy == FramePolicy::StallStrict) return "";
      for (const auto* fr : ctx) {
        if (!skipped(fr->function) && !is_stall_plumbing(fr->function)) return fr->function;
      }
      return "";
    }
    case FramePolicy::Generic:
      break;
  }
  if (locks_matter) {
    // These reports are about a lock: the place it was taken is the culprit.
    for (size_t idx : region) {
      auto t = trim(lines[idx].text);
      if (t.find(", at: ") == std::string_view::npos || is_held_lock_line(t)) continue;
      if (auto fr = parse_frame(t); fr && usable(*fr)) return fr->function;
    }
    for (const auto& fr : frames) {
      if (fr.source == "lock" && usable(fr)) return fr.function;
    }
  }
  if (r.type == "LOCKDEP" || r.type == "ATOMIC_SLEEP") {
    // Lockdep prints held locks and dependency chains first; the task's own stack comes after
    // "stack backtrace:" and is what the report is about.
    for (size_t idx : region) {
      if (trim(lines[idx].text) != "stack backtrace:") continue;
      for (const auto& fr : frames) {
        if (fr.line > idx && usable(fr)) return fr.function;
      }
    }
  }
  if (r.title.find("{W}") != std::string::npos) {
    // A WARN() dump starts at its trapping instruction pointer; frames printed before it (a
    // panic_on_warn stack, another task's interleaved output) are not the warning's caller chain.
    if (auto ip = first_index(frames, [&](const OopsFrame& fr) { return fr.source == "ip" && fr.line > f.line; })) {
      for (size_t i = *ip; i < frames.size(); ++i) {
        if (usable(frames[i])) return frames[i].function;
      }
    }
  }
  if (auto i = first_index(frames, usable)) return frames[*i].function;
  return "";
}

}  // namespace kdx::analysis

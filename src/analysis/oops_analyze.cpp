// analyze_log: finds the crash report in a console log, titles it, and gathers its frames and details.
#include <algorithm>
#include <regex>
#include <set>

#include "kdx/analysis/code_decode.hpp"
#include "kdx/analysis/fault_decode.hpp"
#include "kdx/analysis/oops_lines.hpp"
#include "kdx/analysis/oops_report.hpp"
#include "kdx/analysis/title_rules.hpp"

namespace kdx::analysis {
namespace {

constexpr size_t kMaxReportLines = 400;

struct Found {
  size_t line = 0;
  const HeaderRule* rule = nullptr;
  std::vector<std::string> groups;
};

// Which header rule, if any, starts a report on this line.
// A register or stack dump within the next lines: tells a report from a plain message.
bool dump_follows(const std::vector<LogLine>& lines, size_t index) {
  for (size_t i = index + 1; i < lines.size() && i <= index + 8; ++i) {
    const auto& t = lines[i].text;
    if (t.find("Call Trace") != std::string::npos || t.find("Call trace") != std::string::npos ||
        t.starts_with("Modules linked in") || t.starts_with("CPU: "))
      return true;
  }
  return false;
}

std::optional<Found> match_header(const std::vector<LogLine>& lines, size_t index) {
  const std::string& t = lines[index].text;
  if (t.size() < 5) return std::nullopt;
  // Cheap prefilter: every header holds one of these words.
  static const char* const kWords[] = {"BUG",     "WARNING", "INFO:",  "KASAN", "UBSAN",    "fault",  "error",
                                       "panic",   "Unable",  "int3",   "PANIC", "unreferenced", "corruption",
                                       "Bad mode", "usercopy", "SYZFAIL", "opcode", "stack segment"};
  bool any = false;
  for (const char* w : kWords) {
    if (t.find(w) != std::string::npos) {
      any = true;
      break;
    }
  }
  if (!any) return std::nullopt;
  for (const HeaderRule& r : header_rules()) {
    std::smatch m;
    if (std::regex_search(t, m, r.pattern)) {
      if (r.needs_dump && !dump_follows(lines, index)) continue;
      Found f;
      f.line = index;
      f.rule = &r;
      for (size_t g = 0; g < m.size(); ++g) f.groups.push_back(m[g].matched ? m[g].str() : std::string());
      return f;
    }
  }
  return std::nullopt;
}

// "#0: ffff888 (&lock){+.+.}, at: func+0x1/0x2": lockdep's list of held locks, not a stack.
bool is_held_lock_line(std::string_view t) {
  t = trim(t);
  // Lockdep's irq-state history and preempt-count origin name where, not who.
  if (t.find("last enabled at") != std::string_view::npos || t.find("last disabled at") != std::string_view::npos ||
      t.starts_with("Preemption disabled at") || t.starts_with("irq event stamp"))
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

std::string frame_source(std::string_view text) {
  auto t = trim(text);
  if (t.starts_with("RIP:") || t.starts_with("IP:") || t.starts_with("EIP:") || t.starts_with("pc :") ||
      t.starts_with("PC is at") || t.starts_with("NIP") || t.starts_with("epc") || t.starts_with("pc:") ||
      text.find("[exception RIP:") != std::string_view::npos) {
    return "ip";
  }
  if (t.starts_with("lr :") || t.starts_with("LR is at") || t.starts_with("LR [") || t.starts_with("ra ")) return "lr";
  return "trace";
}

// The warning kinds syzkaller names after the checker rather than the function.
std::string warning_subtype(const Found& f, const std::vector<LogLine>& lines) {
  const std::string file = f.groups.size() > 1 ? f.groups[1] : "";
  std::string func = f.groups.size() > 2 ? base_function(f.groups[2]) : "";
  if (auto plus = func.find('+'); plus != std::string::npos) func.resize(plus);
  std::string next;
  for (size_t i = f.line + 1; i < lines.size() && i < f.line + 4; ++i) next += lines[i].text + "\n";
  auto file_is = [&](std::string_view path) { return file.starts_with(path); };
  if (file_is("lib/refcount.c") || next.find("refcount_t:") != std::string::npos) return ": refcount bug";
  if (func == "kmalloc_slab" || func == "kvmalloc_node" || func == "__kvmalloc_node" || func == "kmalloc_fix_flags" ||
      func == "__kmalloc_large_node" || (file_is("mm/page_alloc.c") && func == "warn_alloc"))
    return ": kmalloc bug";
  if (file_is("fs/proc/generic.c")) return ": proc registration bug";
  if (file_is("lib/kobject.c")) return ": kobject bug";
  if (file_is("lib/debugobjects.c")) return ": ODEBUG bug";
  if (file_is("mm/vmalloc.c") && func.starts_with("__vmalloc_node")) return ": zero-size vmalloc";
  if (file_is("kernel/locking/lockdep.c")) return ": locking bug";
  return "";
}

std::optional<size_t> first_index(const std::vector<OopsFrame>& frames, auto pred) {
  for (size_t i = 0; i < frames.size(); ++i) {
    if (pred(frames[i])) return i;
  }
  return std::nullopt;
}

struct Region {
  size_t begin = 0;
  size_t end = 0;
};

// Report lines: from the header to the end-of-trace marker, the next unrelated report, or a limit.
// With printk caller ids, lines from other tasks/CPUs are interleaved noise and dropped.
std::vector<size_t> report_lines(const std::vector<LogLine>& lines, const std::vector<Found>& found, size_t which) {
  const Found& f = found[which];
  const std::string& caller = lines[f.line].caller;
  std::vector<size_t> out;
  bool seen_frames = false;
  size_t next_found = which + 1;
  for (size_t i = f.line; i < lines.size() && i < f.line + kMaxReportLines; ++i) {
    const LogLine& l = lines[i];
    if (!caller.empty() && !l.caller.empty() && l.caller != caller) continue;
    // Program output interleaved with a timestamped console (syzkaller's, a shell's) is noise.
    if (lines[f.line].kernel && !l.kernel && !l.text.empty()) continue;
    if (i > f.line) {
      while (next_found < found.size() && found[next_found].line < i) ++next_found;
      if (next_found < found.size() && found[next_found].line == i && !found[next_found].rule->panic_only &&
          seen_frames) {
        break;
      }
      if (l.text.find("---[ end trace") != std::string::npos || l.text.starts_with("Kernel Offset:") ||
          l.text.find("---[ end Kernel panic") != std::string::npos) {
        out.push_back(i);
        break;
      }
    }
    // A lock's "at: func" site is not yet the report's stack.
    if (!seen_frames && i > f.line && l.text.find(", at: ") == std::string::npos && parse_frame(l.text))
      seen_frames = true;
    out.push_back(i);
  }
  return out;
}

// Section of a KASAN/KFENCE report a line belongs to.
enum class Section { Main, Alloc, Free, Other };

Section section_after(std::string_view t, Section cur) {
  t = trim(t);
  if (t.starts_with("Allocated by task") || t.starts_with("allocated by task")) return Section::Alloc;
  if (t.starts_with("Freed by task") || t.starts_with("freed by task")) return Section::Free;
  if (t.starts_with("Last potentially related work creation") || t.starts_with("Second to last potentially") ||
      t.starts_with("The buggy address") || t.starts_with("Memory state around") || t.starts_with("Uninit was") ||
      t.starts_with("Local variable") || t.starts_with("Bytes ") || (t.starts_with("CPU: ") && cur != Section::Main))
    return Section::Other;
  return cur;
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

// Frameless titles whose kernel message is always followed by a stack dump.
bool expects_stack(std::string_view title) {
  return title.starts_with("BUG: Object already free") || title.starts_with("BUG: Dentry still in use") ||
         title.starts_with("BUG: unable to handle kernel");
}

std::string pick_guilty(const Found& f, const std::vector<OopsFrame>& frames, const std::vector<LogLine>& lines,
                        const std::vector<size_t>& region, bool ignore_header_func) {
  const HeaderRule& r = *f.rule;
  if (r.frame_group > 0 && !ignore_header_func && static_cast<size_t>(r.frame_group) < f.groups.size()) {
    std::string hf = f.groups[r.frame_group];
    if (auto plus = hf.find('+'); plus != std::string::npos) hf.resize(plus);
    if (!hf.empty() && hf.find('/') == std::string::npos && !is_skipped_frame(hf) && hf != "0x0" &&
        !hf.starts_with("0x") && !(hf.size() >= 8 && parse_hex(hf)))
      return hf;
  }
  // Held-lock lines name where locks were taken; only the "returning with locks held" report
  // is about them.
  const bool locks_matter = r.title.find("lock held when returning") != std::string::npos ||
                            r.title.find("held lock freed") != std::string::npos;
  auto usable = [locks_matter](const OopsFrame& fr) {
    return fr.reliable && fr.source != "lr" && (fr.source != "lock" || locks_matter) && !fr.function.empty() &&
           !is_skipped_frame(fr.function);
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
        if (i > 0 && !is_skipped_frame(ctx[i - 1]->function) && !is_anchor_frame(ctx[i - 1]->function))
          return ctx[i - 1]->function;
      }
      for (const auto* fr : ctx) {
        if (!is_skipped_frame(fr->function) && !is_stall_plumbing(fr->function)) return fr->function;
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
  if (auto i = first_index(frames, usable)) return frames[*i].function;
  return "";
}

std::string expand_title(const Found& f, const std::string& guilty, const std::vector<LogLine>& lines,
                         const std::string& access, const std::string& wsub) {
  std::string out;
  const std::string& t = f.rule->title;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '$' && i + 1 < t.size() && t[i + 1] >= '1' && t[i + 1] <= '9') {
      size_t g = static_cast<size_t>(t[i + 1] - '0');
      if (g < f.groups.size()) out += f.groups[g];
      ++i;
    } else if (t.compare(i, 3, "{F}") == 0) {
      out += guilty.empty() ? "corrupted" : title_function(guilty);
      i += 2;
    } else if (t.compare(i, 3, "{A}") == 0) {
      out += access;
      i += 2;
    } else if (t.compare(i, 3, "{W}") == 0) {
      out += wsub;
      i += 2;
    } else if (t.compare(i, 6, "{NEXT}") == 0) {
      if (f.line + 1 < lines.size()) out += std::string(trim(lines[f.line + 1].text));
      i += 5;
    } else {
      out += t[i];
    }
  }
  return std::string(trim(out));
}

// Hex numbers of 8+ digits in a line: the addresses a report talks about.
std::set<uint64_t> addresses_in(std::string_view t) {
  std::set<uint64_t> out;
  size_t i = 0;
  while (i < t.size()) {
    size_t j = i;
    while (j < t.size() && std::isxdigit(static_cast<unsigned char>(t[j]))) ++j;
    if (j - i >= 12 && j - i <= 16 && (i == 0 || !std::isalnum(static_cast<unsigned char>(t[i - 1])))) {
      if (auto v = parse_hex(t.substr(i, j - i)); v && *v > 0xffff && *v != ~0ULL) out.insert(*v);
    }
    i = j == i ? i + 1 : j;
  }
  return out;
}

}  // namespace

OopsReport analyze_log(std::string_view text, const AnalyzeOptions& options) {
  OopsReport rep;
  auto lines = split_console_log(text);
  std::vector<Found> found;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (auto f = match_header(lines, i)) found.push_back(std::move(*f));
  }
  std::optional<size_t> primary;
  for (size_t i = 0; i < found.size(); ++i) {
    if (!found[i].rule->panic_only) {
      primary = i;
      break;
    }
  }
  if (!primary) {
    for (size_t i = 0; i < found.size(); ++i) {
      if (found[i].rule->panic_only) {
        primary = i;
        break;
      }
    }
  }
  if (!primary) {
    // No report, but the clock restarted or the firmware/boot loader spoke again: the machine
    // rebooted without saying why.
    double latest = -1;
    bool seen_content = false;
    for (const auto& l : lines) {
      auto t = trim(l.text);
      if (seen_content && (t.starts_with("Booting the kernel") || t.starts_with("SeaBIOS (version"))) {
        rep.title = "unexpected kernel reboot";
        rep.type = "REBOOT";
        rep.header = std::string(t);
        return rep;
      }
      if (!t.empty()) seen_content = true;
      if (!l.time) continue;
      if (*l.time < 1.0 && latest > 10.0) {
        rep.title = "unexpected kernel reboot";
        rep.type = "REBOOT";
        rep.header = l.text;
        return rep;
      }
      latest = std::max(latest, *l.time);
    }
    return rep;
  }
  // A WARN() the kernel finished reporting ("---[ end trace") without panicking, followed by a
  // fatal oops: the oops is the crash and the warning is context (seed 001: a list_add WARNING,
  // then the paging request). With panic_on_warn the panic comes before the end marker.
  {
    const Found& p = found[*primary];
    if (p.rule->title.find("{W}") != std::string::npos) {
      auto lines_of_p = report_lines(lines, found, *primary);
      bool ended = !lines_of_p.empty() && lines[lines_of_p.back()].text.find("---[ end trace") != std::string::npos;
      bool panicked = false;
      for (size_t idx : lines_of_p) {
        if (lines[idx].text.find("Kernel panic") != std::string::npos) panicked = true;
      }
      if (ended && !panicked) {
        const auto& t0 = lines[p.line].time;
        for (size_t i = *primary + 1; i < found.size(); ++i) {
          const auto& t1 = lines[found[i].line].time;
          // Right after the warning it is one incident and the warning names it; later (or in a
          // crash-tool transcript without timestamps) the oops is the crash.
          bool separate = !t0 || !t1 || *t1 - *t0 > 10.0;
          if (found[i].rule->fatal && !found[i].rule->panic_only && separate) {
            primary = i;
            break;
          }
        }
      }
    }
  }
  const Found& f = found[*primary];
  rep.start_line = f.line;
  rep.header = std::string(trim(lines[f.line].text));
  rep.type = f.rule->type;
  auto region = report_lines(lines, found, *primary);

  // Frames, split by KASAN section.
  Section sec = Section::Main;
  SanitizerAccess san;
  bool has_stack = false;
  for (size_t idx : region) {
    const std::string& t = lines[idx].text;
    sec = section_after(t, sec);
    if (is_stack_header(t)) has_stack = true;
    auto fr = parse_frame(t);
    if (!fr) continue;
    fr->line = idx;
    if (is_held_lock_line(t) || (idx > 0 && trim(lines[idx - 1].text).ends_with("disabled at:"))) fr->source = "lock";
    // debugobjects' "hint: func" names the object's callback, not a frame of this stack.
    if (trim(t).starts_with("ODEBUG:")) fr->source = "lock";
    if (fr->source.empty()) fr->source = idx == f.line ? "header" : frame_source(t);
    if (sec == Section::Alloc) {
      fr->source = "alloc";
      san.alloc_stack.push_back(*fr);
    } else if (sec == Section::Free) {
      fr->source = "free";
      san.free_stack.push_back(*fr);
    } else if (sec == Section::Main) {
      if (fr->source == "ip" && fr->function.empty()) continue;
      rep.frames.push_back(*fr);
    }
  }
  // crash's bt: frames above "[exception RIP: ...]" are the dump path, not the crash.
  if (auto ex = std::find_if(rep.frames.begin(), rep.frames.end(),
                             [&](const OopsFrame& fr) {
                               return lines[fr.line].text.find("[exception RIP:") != std::string::npos;
                             });
      ex != rep.frames.end()) {
    rep.frames.erase(rep.frames.begin(), ex);
  }

  // KASAN access line.
  std::string access;
  static const std::regex access_re(R"((Read|Write) (?:of size ([0-9]+))?(?: ?at addr ([0-9a-fx]+))?)");
  // The access line directly follows the header; when another message got in between, the
  // report is interleaved and the access kind is not trusted.
  size_t access_window = 0;
  for (size_t idx : region) {
    if (idx == f.line) continue;
    if (++access_window > 1 && !region.empty() && !lines[idx].text.empty()) break;
    std::smatch m;
    if (std::regex_search(lines[idx].text, m, access_re)) {
      access = " " + m[1].str();
      san.access = m[1].str();
      if (m[2].matched) san.size = std::stoull(m[2].str());
      if (m[3].matched) san.address = parse_hex(m[3].str());
      break;
    }
  }
  if (f.rule->type.starts_with("KASAN") || f.rule->type.starts_with("KFENCE") || f.rule->type.starts_with("KMSAN")) {
    san.kind = f.groups.size() > 1 ? f.groups[1] : "";
    if (f.rule->type == "KASAN-INVALID-FREE") san.kind = "invalid-free";
    rep.type = f.rule->type;
    if (f.rule->type == "KASAN") {
      std::string k = san.kind;
      std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return std::toupper(c); });
      std::string a = san.access;
      std::transform(a.begin(), a.end(), a.begin(), [](unsigned char c) { return std::toupper(c); });
      rep.type = "KASAN-" + k + (a.empty() ? "" : "-" + a);
    }
    rep.sanitizer = san;
  }

  std::string wsub;
  bool ignore_header_func = false;
  if (f.rule->title.find("{W}") != std::string::npos) {
    wsub = warning_subtype(f, lines);
    ignore_header_func = !wsub.empty();
  }
  // Without any stack or instruction-pointer line the header alone cannot be trusted to name the
  // culprit (the dump was cut off or overwritten), so the report gets no frame.
  bool any_frame = std::any_of(rep.frames.begin(), rep.frames.end(), [](const OopsFrame& fr) {
    return fr.source == "trace" || fr.source == "ip" || fr.source == "lock";
  }) || std::any_of(region.begin(), region.end(), [&](size_t idx) {
    return trim(lines[idx].text).starts_with("last function: ");
  });
  // Sanitizer headers print the function themselves and stay usable without a stack.
  bool header_names_function = f.rule->type.starts_with("KASAN") || f.rule->type.starts_with("KFENCE") ||
                               f.rule->type.starts_with("KMSAN") || f.rule->title.starts_with("kernel panic: stack is");
  // A WARN() whose dump is taken over by another task's dump or by an oops before its stack
  // starts has no stack of its own in the log.
  bool warn_taken_over = false;
  const bool is_warn = f.rule->title.find("{W}") != std::string::npos;
  if (f.rule->policy != FramePolicy::None && !header_names_function) {
    static const std::regex pid_re(R"(CPU: [0-9]+ (?:UID: [0-9]+ )?PID: ([0-9]+) )");
    std::smatch hm;
    std::string own_pid = std::regex_search(rep.header, hm, pid_re) ? hm[1].str() : "";
    for (size_t idx : region) {
      if (idx == f.line) continue;
      const std::string& t = lines[idx].text;
      if (auto fr = parse_frame(t); fr && !is_held_lock_line(t)) break;
      std::smatch m;
      if (is_warn && !own_pid.empty() && std::regex_search(t, m, pid_re) && t.find("Comm:") != std::string::npos &&
          m[1].str() != own_pid) {
        warn_taken_over = true;
        break;
      }
      if (std::any_of(found.begin(), found.end(), [&](const Found& o) {
            // "invalid opcode", arm's "Internal error" and the BUG() after a checker's message
            // belong to the same oops.
            return o.line == idx && (o.rule->fatal || o.rule->type.starts_with("KASAN")) && !o.rule->panic_only &&
                   !o.rule->title.starts_with("invalid opcode") && !o.rule->title.starts_with("Internal error") &&
                   !o.rule->title.starts_with("kernel BUG") && !o.rule->title.starts_with("BUG: corrupted list");
          })) {
        warn_taken_over = true;
        break;
      }
    }
  }
  std::string guilty = warn_taken_over ? std::string()
                       : any_frame || header_names_function || f.rule->policy == FramePolicy::Leak
                           ? pick_guilty(f, rep.frames, lines, region, ignore_header_func)
                           : std::string();
  // WARNs that flag a caller's misuse of a core API name the caller too.
  std::string header_func = f.rule->frame_group > 0 && static_cast<size_t>(f.rule->frame_group) < f.groups.size()
                                ? base_function(f.groups[f.rule->frame_group].substr(0, f.groups[f.rule->frame_group].find('+')))
                                : "";
  if (f.rule->title.find("{W}") != std::string::npos && wsub.empty() && header_func == "usb_submit_urb") {
    for (const auto& fr : rep.frames) {
      if (fr.reliable && fr.source == "trace" && !is_skipped_frame(fr.function) &&
          base_function(fr.function) != "usb_submit_urb") {
        guilty = base_function(fr.function) + "/usb_submit_urb";
        break;
      }
    }
  }
  const std::string& rt = f.rule->title;
  bool lockdep_dump = rt.starts_with("possible deadlock") || rt.starts_with("inconsistent lock state") ||
                      rt.find("held lock freed") != std::string::npos || rt.find("suspicious RCU") != std::string::npos ||
                      rt.find("bad unlock balance") != std::string::npos;
  bool has_backtrace_marker = std::any_of(region.begin(), region.end(), [&](size_t idx) {
    return trim(lines[idx].text) == "stack backtrace:";
  });
  // An RCU-usage splat names no function except through its stack backtrace.
  if (rt.find("suspicious RCU") != std::string::npos && !has_backtrace_marker) guilty.clear();
  rep.guilty_frame = guilty.empty() ? "" : title_function(guilty);
  std::string title = expand_title(f, guilty, lines, access, wsub);
  if (f.rule->type == "KASAN" && access.empty()) {
    if (auto p = rep.header.find(" at addr "); p != std::string::npos) title += rep.header.substr(p);
  }
  // Without a usable frame these splats are named by their header alone.
  if (guilty.empty() && rt.find("suspicious RCU") != std::string::npos) title = "WARNING: suspicious RCU usage";
  if (guilty.empty() && rep.header.find("possible circular locking dependency") != std::string::npos)
    title = rep.header;
  rep.title = normalize_title(title);

  // Corruption: the report lost the part that identifies it.
  bool has_trace_frames =
      std::any_of(rep.frames.begin(), rep.frames.end(), [](const OopsFrame& fr) { return fr.source == "trace"; });
  const std::string& tt = f.rule->title;
  if (f.rule->policy != FramePolicy::None && guilty.empty()) {
    rep.corrupted = true;
    rep.corrupted_reason = "no usable frame in the report";
  } else if (f.rule->fatal && f.rule->policy != FramePolicy::None && !has_stack && !has_trace_frames) {
    rep.corrupted = true;
    rep.corrupted_reason = "no call trace";
  } else if (header_names_function && std::any_of(found.begin(), found.end(), [&](const Found& o) {
               return o.line > f.line && o.line <= f.line + 3 && !o.rule->panic_only &&
                      std::find(region.begin(), region.end(), o.line) != region.end();
             })) {
    rep.corrupted = true;
    rep.corrupted_reason = "another report is interleaved with this one";
  } else if (lockdep_dump && !has_backtrace_marker) {
    rep.corrupted = true;
    rep.corrupted_reason = "lockdep report without its stack backtrace";
  } else if (f.rule->panic_only && f.groups.size() > 1 &&
             std::regex_search(f.groups[1], std::regex("^(Fatal exception|panic_on_warn set|Oops|Fatal hardware error|"
                                                        "Hard LOCKUP|softlockup: hung tasks|hung_task: blocked tasks)"))) {
    // These panics follow a report the log should hold; it was lost.
    rep.corrupted = true;
    rep.corrupted_reason = "panic refers to an earlier report that is missing";
  } else if (tt.find("{F}") == std::string::npos && f.rule->policy == FramePolicy::None && !f.rule->panic_only &&
             expects_stack(tt) && !has_stack && !has_trace_frames) {
    rep.corrupted = true;
    rep.corrupted_reason = "no call trace";
  }

  std::vector<std::string> region_text;
  region_text.reserve(region.size());
  for (size_t idx : region) region_text.push_back(lines[idx].text);
  rep.fault = decode_fault(region_text, rep.header);
  if (!rep.fault->address && rep.fault->fields.empty() && !rep.fault->trap) rep.fault.reset();
  rep.code = find_and_decode_code(region_text, rep.fault ? rep.fault->arch : std::string());

  // Earlier WARNINGs/BUGs that mention an address this crash also touches.
  std::set<uint64_t> crash_addrs;
  for (size_t idx : region) {
    auto a = addresses_in(lines[idx].text);
    crash_addrs.insert(a.begin(), a.end());
  }
  for (size_t i = 0; i < found.size(); ++i) {
    if (i == *primary || found[i].line >= f.line || found[i].rule->panic_only) continue;
    auto earlier = report_lines(lines, found, i);
    std::set<uint64_t> shared;
    for (size_t idx : earlier) {
      if (idx >= f.line) break;
      auto t = trim(lines[idx].text);
      // Stack dumps and register lines share kernel text/stack addresses with everything.
      if (parse_frame(t) || t.starts_with("RSP") || (t.starts_with("R") && t.size() > 3 && t[3] == ':')) continue;
      for (uint64_t a : addresses_in(t)) {
        if (crash_addrs.count(a)) shared.insert(a);
      }
    }
    RelatedReport rr;
    rr.header = std::string(trim(lines[found[i].line].text));
    rr.line = found[i].line;
    rr.shared_addresses.assign(shared.begin(), shared.end());
    rep.related.push_back(std::move(rr));
  }

  if (options.symbolizer) {
    for (auto& fr : rep.frames) options.symbolizer->symbolize(fr);
    if (rep.sanitizer) {
      for (auto& fr : rep.sanitizer->alloc_stack) options.symbolizer->symbolize(fr);
      for (auto& fr : rep.sanitizer->free_stack) options.symbolizer->symbolize(fr);
    }
  }
  return rep;
}

}  // namespace kdx::analysis

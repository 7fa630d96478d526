// analyze_log: finds the crash report in a console log, titles it, and gathers its frames and details.
#include <algorithm>
#include <regex>
#include <set>

#include "kdx/analysis/code_decode.hpp"
#include "kdx/analysis/fault_decode.hpp"
#include "kdx/analysis/oops_guilty.hpp"
#include "kdx/analysis/oops_lines.hpp"
#include "kdx/analysis/oops_report.hpp"
#include "kdx/analysis/title_rules.hpp"

namespace kdx::analysis {
namespace {

constexpr size_t kMaxReportLines = 1000;


// Which header rule, if any, starts a report on this line.
std::optional<HeaderMatch> match_header(const std::vector<LogLine>& lines, size_t index) {
  const std::string& t = lines[index].text;
  if (t.size() < 4) return std::nullopt;
  // Cheap prefilter: every header holds one of these words.
  static const char* const kWords[] = {"BUG",     "WARNING", "INFO:",  "KASAN", "UBSAN",    "fault",  "error",
                                       "panic",   "Unable",  "int3",   "PANIC", "unreferenced", "corruption",
                                       "Bad mode", "usercopy", "SYZFAIL", "opcode", "stack segment",
                                       "trap:", "unregister_netdevice", "VFS: ", "locks held"};
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
      HeaderMatch f;
      f.line = index;
      f.rule = &r;
      for (size_t g = 0; g < m.size(); ++g) f.groups.push_back(m[g].matched ? m[g].str() : std::string());
      return f;
    }
  }
  return std::nullopt;
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

// The WARN() kinds syzkaller names after the checker rather than the function: by the file the
// WARN() is in (and, for vmalloc, its function), with the name fragments the kind never blames.
struct WarnKind {
  const char* file;
  const char* func_prefix;  // nullptr: any function
  const char* kind;
  std::regex skip;
};

const WarnKind kWarnKinds[] = {
    {"lib/refcount.c", nullptr, ": refcount bug", std::regex("refcount|kobject_")},
    {"fs/proc/generic.c", nullptr, ": proc registration bug", std::regex("proc_")},
    {"lib/kobject.c", nullptr, ": kobject bug", std::regex("kobject_")},
    {"lib/debugobjects.c", nullptr, ": ODEBUG bug",
     std::regex("debug_|rcu|hrtimer_|timer_|work_|percpu_|vunmap|vfree|__free_|kobject_")},
    {"mm/vmalloc.c", "__vmalloc_node", ": zero-size vmalloc", std::regex("^$")},  // no extra skips
    {"kernel/locking/lockdep.c", nullptr, ": locking bug", std::regex("lock_sock|release_sock")},
};
const std::regex kKmallocSkip("kmalloc|krealloc|slab|kmem");

struct WarnSubtype {
  std::string kind;                 // "" for a plain WARNING
  const std::regex* skip = nullptr;
};

WarnSubtype warning_subtype(const HeaderMatch& f, const std::vector<LogLine>& lines) {
  const std::string file = f.groups.size() > 1 ? f.groups[1] : "";
  std::string func = f.groups.size() > 2 ? base_function(f.groups[2]) : "";
  if (auto plus = func.find('+'); plus != std::string::npos) func.resize(plus);
  std::string next;
  for (size_t i = f.line + 1; i < lines.size() && i < f.line + 4; ++i) next += lines[i].text + "\n";
  // refcount_t's own message names the kind wherever the WARN() sits.
  if (next.find("refcount_t:") != std::string::npos) return {": refcount bug", &kWarnKinds[0].skip};
  if (func == "kmalloc_slab" || func == "kvmalloc_node" || func == "__kvmalloc_node" || func == "kmalloc_fix_flags" ||
      func == "__kmalloc_large_node" || (file.starts_with("mm/page_alloc.c") && func == "warn_alloc"))
    return {": kmalloc bug", &kKmallocSkip};
  for (const WarnKind& k : kWarnKinds) {
    if (file.starts_with(k.file) && (!k.func_prefix || func.starts_with(k.func_prefix))) return {k.kind, &k.skip};
  }
  return {};
}


// Messages that are not crash reports but print a stack of their own.
bool starts_foreign_stack(std::string_view t) {
  return t.find("FAULT_INJECTION: forcing a failure") != std::string_view::npos ||
         t.find("vmalloc: allocation failure:") != std::string_view::npos ||
         t.find("FAULT_FLAG_ALLOW_RETRY missing") != std::string_view::npos;
}

// Report lines: from the header to the end-of-trace marker, the next unrelated report, or a limit.
// With printk caller ids, lines from other tasks/CPUs are interleaved noise and dropped.
std::vector<size_t> report_lines(const std::vector<LogLine>& lines, const std::vector<HeaderMatch>& found, size_t which) {
  const HeaderMatch& f = found[which];
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
      // Without caller ids nothing tells the lines of a message that dumps its own stack
      // (fault injection, vmalloc failure) from the report's: the report ends where it starts.
      if (caller.empty() && starts_foreign_stack(l.text)) break;
      while (next_found < found.size() && found[next_found].line < i) ++next_found;
      if (next_found < found.size() && found[next_found].line == i && !found[next_found].rule->panic_only &&
          !found[next_found].rule->inside_other && seen_frames) {
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

// The first "Call Trace:", "Allocated by task", "Freed by task" or "backtrace:" section of a
// report that has no frame before the next section starts (or within 15 lines): the stack was
// overwritten. Returns the section's line.
std::optional<std::string> empty_stack_section(const std::vector<LogLine>& lines, const std::vector<size_t>& region) {
  auto section_kind = [](std::string_view t) -> int {
    t = trim(t);
    if (t.starts_with("Call Trace") || t.starts_with("Call trace")) return 1;
    if (t.starts_with("Allocated by task")) return 2;
    if (t.starts_with("Freed by task")) return 3;
    if (t.starts_with("backtrace:") || t.starts_with("backtrace (crc")) return 4;
    return 0;
  };
  bool checked[5] = {};
  for (size_t ri = 0; ri < region.size(); ++ri) {
    int kind = section_kind(lines[region[ri]].text);
    if (kind == 0 || checked[kind]) continue;
    checked[kind] = true;
    bool framed = false;
    for (size_t rj = ri + 1; rj < region.size() && rj <= ri + 15; ++rj) {
      const std::string& t = lines[region[rj]].text;
      if (section_kind(t)) break;
      if (t.find("(stack is not available)") != std::string::npos || (parse_frame(t) && !is_held_lock_line(t))) {
        framed = true;
        break;
      }
    }
    if (!framed) return std::string(trim(lines[region[ri]].text));
  }
  return std::nullopt;
}

// Reports identified by their header alone (the stack-protector panic names the function,
// KCSAN/KMSAN/KFENCE print their stacks without a "Call Trace:" line) are not judged by it.
bool reports_own_stack(const HeaderRule& r) {
  return !(r.title.starts_with("kernel panic: stack is") || r.type == "KCSAN" || r.type == "KMSAN" ||
           r.type == "KFENCE" || r.policy == FramePolicy::None);
}

// KMSAN reports end with where the uninitialised value came from ("Uninit was created at:" or
// "Local variable ... created at:") and its stack; without it the report was cut short.
bool kmsan_origin_shown(const std::vector<LogLine>& lines, size_t header) {
  const std::string& caller = lines[header].caller;
  for (size_t i = header + 1; i < lines.size() && i < header + kMaxReportLines; ++i) {
    if (!caller.empty() && !lines[i].caller.empty() && lines[i].caller != caller) continue;
    auto t = trim(lines[i].text);
    if (t.starts_with("=====") && i > header + 1) return false;
    if (!t.ends_with("created at:")) continue;
    for (size_t j = i + 1; j < lines.size() && j <= i + 3; ++j) {
      if (parse_frame(lines[j].text)) return true;
    }
    return false;
  }
  return false;
}

// Frameless titles whose kernel message is always followed by a stack dump.
bool expects_stack(std::string_view title) {
  return title.starts_with("BUG: Object already free") || title.starts_with("BUG: Dentry still in use") ||
         title.starts_with("BUG: unable to handle kernel") || title.starts_with("KASAN: ") ||
         title.starts_with("BUG: Bad page map");
}
std::string expand_title(const HeaderMatch& f, const std::string& guilty, const std::vector<LogLine>& lines,
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
  std::vector<HeaderMatch> found;
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
    const HeaderMatch& p = found[*primary];
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
  const HeaderMatch& f = found[*primary];
  rep.start_line = f.line;
  rep.header = std::string(trim(lines[f.line].text));
  rep.type = f.rule->type;
  auto region = report_lines(lines, found, *primary);

  // Frames, split by KASAN section.
  Section sec = Section::Main;
  SanitizerAccess san;
  bool has_stack = false;
  for (size_t ri = 0; ri < region.size(); ++ri) {
    const size_t idx = region[ri];
    const std::string& t = lines[idx].text;
    sec = section_after(t, sec);
    if (is_stack_header(t)) has_stack = true;
    auto fr = parse_frame(t);
    if (!fr) continue;
    fr->line = idx;
    if (is_held_lock_line(t) || (idx > 0 && trim(lines[idx - 1].text).ends_with("disabled at:"))) fr->source = "lock";
    // debugobjects' "hint: func" names the object's callback, not a frame of this stack.
    if (trim(t).starts_with("ODEBUG:")) fr->source = "lock";
    // A frame printed in another report's header line (a WARNING's "at file.c:1 func+0x1/0x2")
    // is not part of this report's stack.
    if (fr->source.empty())
      fr->source = std::any_of(found.begin(), found.end(), [&](const HeaderMatch& o) { return o.line == idx; })
                       ? "header"
                       : frame_source(t);
    if (sec == Section::Alloc) {
      fr->source = "alloc";
      san.alloc_stack.push_back(*fr);
    } else if (sec == Section::Free) {
      fr->source = "free";
      san.free_stack.push_back(*fr);
    } else if (sec == Section::Main) {
      if (fr->source == "ip" && fr->function.empty()) continue;
      rep.frames.push_back(*fr);
      // arm prints "(callee) from (caller)" and each caller again on the next line; the last
      // line's caller (often the syscall or irq entry) appears nowhere else.
      if (auto from = t.find(") from [<"); from != std::string::npos && fr->source == "trace") {
        size_t next = ri + 1 < region.size() ? region[ri + 1] : lines.size();
        bool continues = next < lines.size() && lines[next].text.find(") from [<") != std::string::npos;
        if (!continues) {
          if (auto caller = parse_frame(std::string_view(t).substr(from + 7)); caller && !caller->function.empty()) {
            caller->line = idx;
            caller->source = "trace";
            rep.frames.push_back(*caller);
          }
        }
      }
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
    if (idx == f.line || trim(lines[idx].text).empty()) continue;
    if (++access_window > 1) break;
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
  const std::regex* wsub_skip = nullptr;
  bool ignore_header_func = false;
  if (f.rule->title.find("{W}") != std::string::npos) {
    auto sub = warning_subtype(f, lines);
    wsub = sub.kind;
    wsub_skip = sub.skip;
    ignore_header_func = !wsub.empty();
  }
  // Without any stack or instruction-pointer line the header alone cannot be trusted to name the
  // culprit (the dump was cut off or overwritten), so the report gets no frame.
  bool any_frame = std::any_of(rep.frames.begin(), rep.frames.end(), [](const OopsFrame& fr) {
    return fr.source == "trace" || fr.source == "ip" || fr.source == "lock";
  }) || std::any_of(region.begin(), region.end(), [&](size_t idx) {
    return trim(lines[idx].text).starts_with("last function: ");
  });
  // A WARN() dump shows where it fired by its instruction pointer or its call trace; frames
  // without either (a panic's stack printed with no "Call Trace:"/"Backtrace:" line) are not its own.
  if (f.rule->title.find("{W}") != std::string::npos && !has_stack &&
      std::none_of(rep.frames.begin(), rep.frames.end(), [](const OopsFrame& fr) { return fr.source == "ip"; }))
    any_frame = false;
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
      if (std::any_of(found.begin(), found.end(), [&](const HeaderMatch& o) {
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
  // Without caller ids, fault-injection frames (should_fail*) before the report's own instruction
  // pointer mean another task's injection dump is interleaved with this report's stack.
  bool injection_interleaved = false;
  if (lines[f.line].caller.empty() && f.rule->policy != FramePolicy::None && !header_names_function) {
    for (const auto& fr : rep.frames) {
      if (fr.source == "ip" && fr.line > f.line) break;
      if (fr.source == "trace" && base_function(fr.function).starts_with("should_fail")) {
        injection_interleaved = true;
        break;
      }
    }
  }
  std::string guilty = warn_taken_over || injection_interleaved ? std::string()
                       : any_frame || header_names_function || f.rule->policy == FramePolicy::Leak
                           ? pick_guilty(f, rep.frames, lines, region, ignore_header_func, wsub_skip)
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
  // An old-style KASAN header ("... in func+0x1/0x2 at addr ADDR") whose access line was lost or
  // overwritten: the header is all there is, kept as printed.
  bool kasan_header_only = false;
  if (f.rule->type == "KASAN" && access.empty() && f.rule->policy != FramePolicy::None) {
    if (auto p = rep.header.find("BUG: KASAN: "); p != std::string::npos) {
      title = rep.header.substr(p + 5);
      kasan_header_only = true;
    }
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
  if (f.rule->corrupted) {
    rep.corrupted = true;
    rep.corrupted_reason = "this header only survives in a report that lost its start";
  } else if (kasan_header_only) {
    rep.corrupted = true;
    rep.corrupted_reason = "KASAN report without its access line";
  } else if (f.rule->policy != FramePolicy::None && guilty.empty()) {
    rep.corrupted = true;
    rep.corrupted_reason = "no usable frame in the report";
  } else if (f.rule->fatal && f.rule->policy != FramePolicy::None && !has_stack && !has_trace_frames) {
    rep.corrupted = true;
    rep.corrupted_reason = "no call trace";
  } else if (header_names_function && std::any_of(found.begin(), found.end(), [&](const HeaderMatch& o) {
               return o.line > f.line && o.line <= f.line + 3 && !o.rule->panic_only &&
                      std::find(region.begin(), region.end(), o.line) != region.end();
             })) {
    rep.corrupted = true;
    rep.corrupted_reason = "another report is interleaved with this one";
  } else if (lockdep_dump && std::none_of(region.begin(), region.end(), [&](size_t idx) {
               auto t = trim(lines[idx].text);
               return t.starts_with("Call Trace") || t.starts_with("Call trace");
             })) {
    // The dependency chains are there but the task's own stack never made it to the log.
    rep.corrupted = true;
    rep.corrupted_reason = "lockdep report without its call trace";
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
  } else if (auto empty = reports_own_stack(*f.rule) ? empty_stack_section(lines, region) : std::nullopt) {
    rep.corrupted = true;
    rep.corrupted_reason = "\"" + *empty + "\" is not followed by any frame";
  } else if (f.rule->type == "KMSAN" && !kmsan_origin_shown(lines, f.line)) {
    rep.corrupted = true;
    rep.corrupted_reason = "KMSAN report without the origin stack";
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

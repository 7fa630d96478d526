// `kdx list [-o OFFSET|TYPE.MEMBER] [-H] [-s TYPE] START DUMP VMLINUX`: walk a linked list in the
// dump like crash's `list`, with cycle detection and a clear word where a pointer cannot be read.
#include <fstream>
#include <unordered_set>

#include <fmt/format.h>

#include "command.hpp"
#include "kdx/dump/vmcoreinfo.hpp"
#include "kdx/exit_codes.hpp"
#include "kdx/symbols/kernel_symbols.hpp"
#include "session.hpp"

namespace kdx::cli {
namespace {

Error usage(std::string msg) { return Error{ErrorCode::Usage, std::move(msg), {}, {}, {}}; }

class ListCommand : public Command {
 public:
  const char* name() const override { return "list"; }
  const char* help() const override {
    return "Walk a linked list from START (address or symbol), as crash's list (-o, -H, -s)";
  }
  void configure(CLI::App& sub) override {
    sub.add_option("start", start_, "first entry (or, with -H, the list head): hex address or symbol")->required();
    sub.add_option("files", files_, "dump and vmlinux, recognised by content");
    sub.add_option("-o,--offset", offset_,
                   "offset of the next pointer in an entry: a number or TYPE.MEMBER (task_struct.tasks)");
    sub.add_flag("-H,--head", head_, "START is a list_head that is not part of an entry (skip it; stop on return)");
    sub.add_option("-s,--struct", struct_, "print each entry as TYPE, or only TYPE.m1,m2 (struct TYPE ADDR)");
    sub.add_option("-c,--count", max_, "stop after this many entries (default 1000000)");
  }

  int run(Session& session) override {
    session.add_files(files_);
    auto t = session.target();
    if (!t) return report_error(t.error());
    auto* ks = (*t)->symbols();
    uint64_t off = 0;
    if (!offset_.empty()) {
      if (auto n = parse_number(offset_)) {
        off = *n;
      } else if (auto dot = offset_.find('.'); dot != std::string::npos && ks) {
        auto m = ks->member_offset(offset_.substr(0, dot), offset_.substr(dot + 1));
        if (!m) return report_error(m.error());
        off = *m;
      } else {
        return report_error(usage(fmt::format("-o {}: expected a number or TYPE.MEMBER (with a vmlinux)", offset_)));
      }
    }
    uint64_t start = 0;
    if (auto a = symbols::parse_address(start_)) start = *a;
    else if (auto s = (*t)->lookup_symbol(start_)) start = s->first;
    else return report_error(Error{ErrorCode::NotPresent, fmt::format("list: no symbol {}", start_), {}, {}, {}});
    std::optional<uint64_t> obj_size;
    std::string type = struct_;
    std::vector<std::string> members;  // -s TYPE.m1,m2: only those members (crash's form)
    if (auto dot = struct_.find('.'); dot != std::string::npos) {
      type = struct_.substr(0, dot);
      std::string rest = struct_.substr(dot + 1);
      for (size_t p = 0; p <= rest.size();) {
        size_t c = rest.find(',', p);
        if (c == std::string::npos) c = rest.size();
        if (c > p) members.push_back(rest.substr(p, c - p));
        p = c + 1;
      }
    }
    if (!struct_.empty()) {
      if (!ks) return report_error(usage("-s needs the vmlinux for the type"));
      auto sz = ks->type_size(type);
      if (!sz) return report_error(sz.error());
      obj_size = *sz;
    }
    auto mem = (*t)->memory();
    if (!mem) return report_error(mem.error());

    auto print_entry = [&](uint64_t entry) -> bool {
      fmt::print("{:x}\n", entry);
      if (!obj_size) return true;
      std::vector<uint8_t> bytes(*obj_size);
      if (auto r = (*mem)->read_virt(entry, bytes); !r) {
        fmt::print("  (cannot read {} at {:#x}: {})\n", type, entry, r.error().message);
        return false;
      }
      auto text = members.empty() ? ks->format_object("", type, bytes) : ks->format_member_values("", type, members, bytes);
      std::string out = text ? *text : "  (" + text.error().message + ")";
      if (out.empty() || out.back() != '\n') out += '\n';
      fmt::print("{}", out);
      return true;
    };

    // Plain: START is an entry; its next pointer is at START + off and points at the next
    // entry's pointer (entry + off). -H: START is a bare list_head; entries are pointer - off.
    std::unordered_set<uint64_t> seen;
    uint64_t link = head_ ? start : start + off;  // address of the current next pointer
    if (!head_) print_entry(start);
    seen.insert(link);
    for (uint64_t n = head_ ? 0 : 1; n < max_; ++n) {
      auto next = (*mem)->read_u64(link);
      if (!next) {
        fmt::print(stderr, "list: cannot read the next pointer at {:#x}: {}\n", link, next.error().message);
        return kExitPartial;
      }
      if (*next == 0) return kExitOk;                          // NULL-terminated list
      if (*next == (head_ ? start : start + off)) return kExitOk;  // back at the start
      if (!seen.insert(*next).second) {
        fmt::print(stderr, "list: duplicate list entry: {:x} (the list loops without returning to the start)\n",
                   *next - off);
        return kExitPartial;
      }
      print_entry(*next - off);
      link = *next;
    }
    fmt::print(stderr, "list: stopped after {} entries (-c)\n", max_);
    return kExitPartial;
  }

 private:
  std::string start_, offset_, struct_;
  std::vector<std::string> files_;
  bool head_ = false;
  uint64_t max_ = 1000000;
};

}  // namespace
}  // namespace kdx::cli

using kdx::cli::ListCommand;
KDX_REGISTER_COMMAND(ListCommand)

// Text (crash vtop-like) and JSON renderings of a page-table walk.
#include "kdx/memory/translation_format.hpp"

#include <fmt/format.h>

namespace kdx {
namespace {

std::string size_name(uint64_t size) {
  if (size >= (1ULL << 30) && size % (1ULL << 30) == 0) return fmt::format("{} GiB", size >> 30);
  if (size >= (1ULL << 20) && size % (1ULL << 20) == 0) return fmt::format("{} MiB", size >> 20);
  return fmt::format("{} KiB", size >> 10);
}

std::string join_flags(const std::vector<std::string>& flags) {
  std::string s;
  for (const auto& f : flags) s += (s.empty() ? "" : "|") + f;
  return s.empty() ? "(none)" : "(" + s + ")";
}

std::string hex(uint64_t v) { return fmt::format("{:#x}", v); }

}  // namespace

std::string format_translation_text(const Translation& t) {
  std::string o;
  o += "VIRTUAL           PHYSICAL\n";
  o += fmt::format("{:<16x}  {}\n\n", t.vaddr, t.paddr ? fmt::format("{:x}", *t.paddr) : "(not mapped)");
  o += fmt::format("REGION: {}\n", t.region);
  if (t.walked_vaddr != t.vaddr) o += fmt::format("WALKED: {:x} (tag stripped)\n", t.walked_vaddr);
  if (!t.levels.empty()) o += fmt::format("{} DIRECTORY: {:x} (physical)\n", t.levels.front().name, t.levels.front().table);
  for (const WalkLevel& l : t.levels) {
    if (t.status == WalkStatus::TableNotInDump && &l == &t.levels.back())
      o += fmt::format("{:>6}: {:x} => (not in dump)\n", l.name, l.entry_addr);
    else if (t.status == WalkStatus::Cycle && &l == &t.levels.back())
      o += fmt::format("{:>6}: {:x} => (table already visited)\n", l.name, l.entry_addr);
    else
      o += fmt::format("{:>6}: {:x} => {:x}\n", l.name, l.entry_addr, l.entry);
  }
  if (t.paddr) {
    uint64_t page = *t.paddr & ~(t.page_size - 1);
    o += fmt::format("{:>6}: {:x}  ({})\n", "PAGE", page, size_name(t.page_size));
    const WalkLevel& leaf = t.levels.back();
    o += fmt::format("\n{:^16}  {:<8}  FLAGS\n", leaf.name, "PHYSICAL");
    o += fmt::format("{:<16x}  {:<8x}  {}\n", leaf.entry, page, join_flags(t.flags));
  } else {
    if (!t.flags.empty()) o += fmt::format("\n{:>16}  FLAGS\n{:>16x}  {}\n", "ENTRY", t.levels.back().entry, join_flags(t.flags));
    o += fmt::format("\nSTOPPED: {}\n", t.error.empty() ? walk_status_name(t.status) : t.error);
  }
  for (const std::string& n : t.notes) o += fmt::format("NOTE: {}\n", n);
  return o;
}

nlohmann::json translation_to_json(const Translation& t) {
  nlohmann::json j;
  j["vaddr"] = hex(t.vaddr);
  j["paddr"] = t.paddr ? nlohmann::json(hex(*t.paddr)) : nlohmann::json(nullptr);
  j["page_size"] = t.page_size;
  nlohmann::json levels = nlohmann::json::array();
  for (const WalkLevel& l : t.levels) levels.push_back(
        {{"name", l.name}, {"table", hex(l.table)}, {"entry_addr", hex(l.entry_addr)}, {"entry", hex(l.entry)}});
  j["levels"] = levels;
  j["flags"] = t.flags;
  j["region"] = t.region;
  j["error"] = t.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.error);
  return j;
}

}  // namespace kdx

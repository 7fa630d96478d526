// The architecture registry: the only place that chooses between backends.
#include <algorithm>
#include <array>

#include "kdx/arch/arch_backend.hpp"
#include "kdx/arch/page_table_walker.hpp"

namespace kdx {

// Each backend file defines its constant; listing them here is the whole registry.
extern const ArchBackend kX86_64Backend;
extern const ArchBackend kArm64Backend;

namespace {
const std::array<const ArchBackend*, 2> kBackends = {&kX86_64Backend, &kArm64Backend};

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
    return lower(x) == lower(y);
  });
}
}  // namespace

const ArchBackend* find_arch(std::string_view name) {
  for (const ArchBackend* b : kBackends) {
    if (iequals(b->name, name)) return b;
    for (std::string_view alias : b->aliases)
      if (iequals(alias, name)) return b;
  }
  return nullptr;
}

const ArchBackend* find_arch_by_elf_machine(uint16_t e_machine) {
  for (const ArchBackend* b : kBackends)
    if (b->elf_machine == e_machine) return b;
  return nullptr;
}

std::span<const ArchBackend* const> all_arches() { return kBackends; }

const char* walk_status_name(WalkStatus s) {
  switch (s) {
    case WalkStatus::Mapped: return "mapped";
    case WalkStatus::NonCanonical: return "non-canonical";
    case WalkStatus::NotPresent: return "not present";
    case WalkStatus::ReservedBits: return "reserved bits set";
    case WalkStatus::TableNotInDump: return "table page not in dump";
    case WalkStatus::Cycle: return "page-table cycle";
    case WalkStatus::NoUserRoot: return "user address without a user page table";
  }
  return "unknown";
}

}  // namespace kdx

// Helpers shared by the arch page-table walkers: reading entries, why a table is unreadable, and building Translation.
#pragma once

#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "kdx/arch/page_table_walker.hpp"
#include "kdx/phys_reader.hpp"

namespace kdx::arch_detail {

// Reads one little-endian 64-bit table entry; false when the bytes are not in the dump.
inline bool read_entry(PhysReader& phys, uint64_t paddr, uint64_t& out) {
  uint8_t b[8];
  if (!phys.read_phys(paddr, std::span<uint8_t>(b, 8))) return false;
  out = 0;
  for (int i = 7; i >= 0; --i) out = (out << 8) | b[i];
  return true;
}

// True when a table that read as an all-zero entry is really an excluded page: excluded
// pages read as zeros, and a zero entry in an excluded table says nothing about the mapping.
inline bool table_is_excluded(PhysReader& phys, uint64_t table) {
  return phys.page_state(table) == PageState::Excluded;
}

// One sentence for the levels' common failure modes; arch-specific detail is appended by callers.
inline std::string describe_stop(PhysReader& phys, const RawWalk& w, const std::string& level_name) {
  if (w.nlevels == 0) return {};
  const RawWalkLevel& l = w.levels[w.nlevels - 1];
  switch (w.status) {
    case WalkStatus::NotPresent:
      return fmt::format("{} entry {:#x} at {:#x} (table {:#x}) is not present", level_name, l.entry,
                         l.entry_addr, l.table);
    case WalkStatus::TableNotInDump: {
      PageState st = phys.page_state(l.table);
      return fmt::format("{} table page {:#x} is not in the dump ({})", level_name, l.table,
                         page_state_name(st));
    }
    case WalkStatus::Cycle:
      return fmt::format("{} table {:#x} was already visited in this walk: the page tables are corrupt (cycle)",
                         level_name, l.table);
    default:
      return {};
  }
}

// One level of a walk, the part every architecture shares: records the level, stops on a
// table already visited in this walk (a walk has a fixed depth, so corrupt tables cannot loop
// forever, but a reused table means the entries are garbage), on a table not in the dump, and
// on an entry without valid_bit. Returns false when the walk stopped (w.status says why);
// otherwise entry holds the level's entry for the arch-specific checks.
inline bool walk_level(PhysReader& phys, RawWalk& w, unsigned level, uint64_t table, uint64_t entry_addr,
                       uint64_t valid_bit, uint64_t& entry) {
  RawWalkLevel& l = w.levels[w.nlevels++];
  l.level = uint8_t(level);
  l.table = table;
  l.entry_addr = entry_addr;
  for (unsigned j = 0; j + 1 < w.nlevels; ++j) {
    if (w.levels[j].table == table) {
      w.status = WalkStatus::Cycle;
      return false;
    }
  }
  if (!read_entry(phys, entry_addr, entry)) {
    w.status = WalkStatus::TableNotInDump;
    return false;
  }
  l.entry = entry;
  if (!(entry & valid_bit)) {
    w.status = (entry == 0 && table_is_excluded(phys, table)) ? WalkStatus::TableNotInDump : WalkStatus::NotPresent;
    return false;
  }
  return true;
}

inline std::string hexs(uint64_t v) { return fmt::format("{:#x}", v); }

}  // namespace kdx::arch_detail

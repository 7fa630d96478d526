// Lazy name -> DIE index of the named types in a Dwarf: scans CUs in order only as far as a lookup needs.
#pragma once

#include <elfutils/libdw.h>

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kdx/error.hpp"

namespace kdx::symbols {

// Which kinds of named type a lookup accepts, in preference order.
enum class TypeKind { Struct, Union, Enum, Typedef, Base };

// Kernel headers define the same struct in thousands of CUs, and the commonly used ones appear
// in the first CUs (init/main.c includes most of them). So instead of indexing all DWARF up
// front (seconds on a 160 MB .debug_info), this walks the top-level DIEs of one CU at a time,
// remembering every complete type definition it passes, and stops as soon as the asked-for
// name is known. A name that is never found costs one full walk, after which the index is
// complete and every later miss is immediate.
class TypeIndex {
 public:
  // cache_file: where a complete index is saved after a full walk and loaded from next time
  // (named by build-id; empty = no disk cache). `stamp` identifies the debug file (its size)
  // so a stale cache is ignored.
  TypeIndex(Dwarf* dwarf, std::string cache_file = {}, std::string stamp = {});
  // Finds the first complete definition of `name` among `kinds` (earlier kinds win when both
  // are defined in the same CU). Fails with NotPresent when no CU defines it, or Corrupt when
  // the DWARF cannot be walked (message says which unit).
  Result<Dwarf_Die> find(std::string_view name, std::initializer_list<TypeKind> kinds);
  // Finds a global variable's DIE by name through the CU that covers `link_address` (from the
  // symbol table); falls back to a scan of all CUs when the address is unknown (0).
  Result<Dwarf_Die> find_variable(std::string_view name, uint64_t link_address);
  size_t units_scanned() const { return units_scanned_; }
  bool complete() const { return done_; }

 private:
  struct Entry {
    Dwarf_Off offset[5] = {0, 0, 0, 0, 0};  // per TypeKind; 0 = not seen
  };
  Result<bool> scan_next_unit();  // false when there are no more units
  void save_cache() const;
  bool load_cache();
  bool lookup(std::string_view name, std::initializer_list<TypeKind> kinds, Dwarf_Die* out);

  Dwarf* dwarf_;
  std::string cache_file_, stamp_;
  bool cache_tried_ = false;
  Dwarf_CU* cursor_ = nullptr;
  bool done_ = false;
  size_t units_scanned_ = 0;
  std::unordered_map<std::string, Entry> names_;
};

}  // namespace kdx::symbols

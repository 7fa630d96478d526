// The format readers behind open_dump, each a Bloaty-style TryOpen: nullopt when the magic is not theirs.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "kdx/dump/dump.hpp"

namespace kdx::dump {

using Sources = std::vector<std::shared_ptr<ByteSource>>;

// ELF64 ET_CORE vmcores (one file).
std::optional<Result<std::unique_ptr<Dump>>> try_open_elf(const Sources& sources);
// kdump-compressed ("KDUMP   "), one file or the parts of a split dump; each source may be
// a reassembled flattened file.
std::optional<Result<std::unique_ptr<Dump>>> try_open_kdump(const Sources& sources);

// Merges sorted [start, end) ranges that touch.
std::vector<PhysRange> merge_ranges(std::vector<PhysRange> r);

}  // namespace kdx::dump

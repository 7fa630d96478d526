// Turns an .xz/.zst compressed input into a plain file in the cache dir (never next to the input).
#pragma once

#include <string>

#include "kdx/error.hpp"

namespace kdx::symbols {

// The cache dir to use: explicit, else $KDX_CACHE_DIR, $XDG_CACHE_HOME/kdx, $HOME/.cache/kdx,
// /tmp/kdx-cache. Created if missing; fails with Io when it cannot be created.
Result<std::string> resolve_cache_dir(const std::string& explicit_dir);

// Returns `path` itself when it is not compressed; otherwise the path of a decompressed copy
// in cache_dir, named after the input's name, size, mtime and inode so a second run reuses it.
// Fails with Io (unreadable, disk full) or Corrupt/Truncated (bad stream, naming the offset).
Result<std::string> materialize_input(const std::string& path, const std::string& cache_dir);

}  // namespace kdx::symbols

// Triage of whole crash directories: find every dump and console log under some paths, pick each
// dump's vmlinux by build-id/release, analyze them one by one, and group the crashes by title.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kdx::analysis {

struct TriageOptions {
  std::vector<std::string> vmlinux;       // candidate vmlinux files (any releases; matched per dump)
  std::vector<std::string> debug_dirs;    // roots searched by release and build-id (like /usr/lib/debug)
  std::vector<std::string> modules_dirs;  // where module .ko debug info is looked for
  bool system_dirs = true;                // also search /usr/lib/debug, /lib/modules/REL/build, /boot
  bool force = false;                     // use a vmlinux even when it does not match (never picked by triage)
};

struct TriageItem {
  std::string kind;                // "dump" or "log"
  std::vector<std::string> files;  // the dump (several for a split dump) or the log file
  std::string companion_log;       // a console log found next to the dump ("" none)
  bool xz = false;                 // an xz-compressed dump (not read: dumps are read in place)
  std::string status;              // "ok", "partial", "no crash", "error"
  std::string error;               // for "error": one line naming the file and what is wrong
  std::string arch, release;
  std::optional<int64_t> crash_time;
  std::string vmlinux;             // the vmlinux used ("" none)
  std::string vmlinux_how;         // how it was found, or why there is none
  std::optional<std::string> title;
  std::string type, guilty_frame;
  bool corrupted = false;
  std::optional<int> cpu, pid;
  std::string comm;
  std::vector<std::string> notes;  // degradations the analysis stated
  double seconds = 0;              // time spent on this item
};

struct TriageBucket {
  std::optional<std::string> title;  // nullopt: inputs in which no crash was found
  std::vector<size_t> items;         // indexes into TriageResult::items, in scan order
};

struct TriageSkip {
  std::string path;
  std::string reason;
};

struct TriageResult {
  std::vector<TriageItem> items;      // dumps and logs, in path order
  std::vector<TriageBucket> buckets;  // by title, the largest first
  std::vector<std::string> vmlinux_found;  // vmlinux files met while scanning (used as candidates)
  std::vector<TriageSkip> skipped;    // files that are neither (modules, unrelated text, unreadable)
  double seconds = 0;
};

// Never fails: an unreadable path or a corrupt dump becomes an item (or skip) with its error.
TriageResult triage(const std::vector<std::string>& paths, const TriageOptions& opts = {});

// Whether text read from a file looks like a kernel log (printk timestamps, "Linux version",
// or a crash report kdx recognises) rather than some other text file.
bool looks_like_kernel_log(std::string_view text);

}  // namespace kdx::analysis

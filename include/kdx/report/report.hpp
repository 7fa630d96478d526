// The crash report as plain data, filled by analysis stages and printed by formatters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kdx/analysis/provenance.hpp"

namespace kdx::report {

inline constexpr const char* kReportSchema = "kdx.report/1";

struct SystemSection {
  std::string dump_file, vmlinux_file;
  std::string dump_format;            // "kdump-compressed (zlib), flattened" ...
  std::string arch;
  std::string release, version, machine, nodename;
  std::optional<int64_t> crash_time;  // seconds since the epoch
  std::optional<uint64_t> uptime_ns;  // from the last log record when nothing better
  int cpus = 0;
  std::optional<uint64_t> kaslr_offset;
  std::string kaslr_source;           // how the offset was found
  uint64_t page_size = 0;
  std::vector<std::string> dump_gaps; // excluded/missing pages that were asked for
};

struct Frame {
  int level = 0;
  uint64_t pc = 0, sp = 0;
  std::string function;               // empty when unknown
  uint64_t offset = 0, size = 0;
  std::string module;                 // empty for vmlinux
  std::string file;
  int line = 0;
  std::vector<std::string> inlined;   // inline chain at pc, innermost first
  std::string trust;                  // "context", "orc", "frame pointer", "exception frame", "scan", "log"
  bool exception = false;             // frame begins at an exception (pt_regs) boundary
};

struct Instruction {
  uint64_t address = 0;
  std::string text;                   // "mov rax, qword ptr [rbx + 8]"
  std::string location;               // "func+0x12 at file.c:45"
  bool faulting = false;
};

struct FaultSection {
  std::string kind;                   // "page fault", "general protection", "data abort", ...
  std::optional<uint64_t> address;    // CR2 / FAR
  std::string address_class;          // "NULL + 0x8", "user", "non-canonical", ...
  std::vector<std::string> decoded;   // one line per decoded field (error code bits, ESR fields)
};

struct StageNote {
  std::string stage;
  std::string message;
};

struct Report {
  SystemSection system;
  std::optional<std::string> title;   // null: no crash found
  std::string type;
  std::string panic_message;
  bool corrupted = false;
  std::optional<int> crashed_cpu;
  std::optional<int> pid;
  std::string comm;
  std::optional<uint64_t> task;
  FaultSection fault;
  std::vector<Frame> backtrace;
  std::string guilty_frame;
  std::vector<Instruction> faulting_code;  // a window around the faulting instruction
  std::optional<analysis::Provenance> provenance;
  std::vector<std::pair<std::string, uint64_t>> registers;  // at the fault, arch order
  std::vector<std::string> suspicious;     // register values worth a look, explained
  std::vector<std::string> related_log;    // earlier WARNINGs/BUGs that matter
  std::vector<std::string> log_tail;       // the last lines before the panic
  std::vector<StageNote> notes;            // stages that failed or degraded, and why
  bool partial = false;                    // some stage could not complete
};

// crash-style text for people.
std::string format_text(const Report& r);
// JSON with "schema": kReportSchema, for scripts.
std::string format_json(const Report& r);

}  // namespace kdx::report

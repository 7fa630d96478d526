// The panic-cause analysis of a kernel console log: crash title, type, frames, fault and Code: decode.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kdx::analysis {

// One stack frame as printed in the log ("func+0x1f/0x40 [mod]", "[<addr>] func+..", "pc : func+..").
struct OopsFrame {
  std::string function;          // as printed, e.g. "nvme_queue_rq.cold" (empty if only an address)
  uint64_t offset = 0;           // +0x.. part
  uint64_t size = 0;             // /0x.. part
  std::optional<uint64_t> address;  // [<ffff..>] part, when printed
  std::string module;            // [nvme] part, when printed
  bool reliable = true;          // false for "? func" (a stale value found on the stack)
  std::string source;            // which part of the report it came from: "ip", "lr", "trace", "alloc", "free"
  size_t line = 0;               // 0-based line index in the input text
  // Filled by a FrameSymbolizer when one is given: "file.c:123" and inlined callers.
  std::string location;
  std::vector<std::string> inlined;
};

// Symbolizes frames to file:line (with inline chains) for `--vmlinux`. Implemented elsewhere
// (the DWARF symbolizer); analysis only calls it when one is plugged in.
class FrameSymbolizer {
 public:
  virtual ~FrameSymbolizer() = default;
  // Fills frame.location and frame.inlined. Returns false (leaving the frame unchanged) when
  // the function or module is unknown to the symbolizer.
  virtual bool symbolize(OopsFrame& frame) = 0;
};

// One named field of a decoded fault, e.g. {"EC", "0x25", "DABT (current EL)"}.
struct FaultField {
  std::string name;
  std::string value;
  std::string meaning;
};

// What the hardware said about the fault, from the log's own lines.
struct FaultInfo {
  std::string arch;                  // "x86_64", "arm64", "arm" or "" when unknown
  std::optional<uint64_t> address;   // faulting address (CR2, FAR, "at ADDR")
  std::string address_class;         // "null+offset", "user", "kernel", "non-canonical",
                                     // "between user and kernel ranges" or ""
  std::optional<uint64_t> error_code;  // x86 page-fault error code
  std::optional<uint64_t> esr;         // arm64 ESR
  std::optional<int> trap;             // x86 trap number when the report names one
  std::string trap_name;
  std::string access;                  // "read", "write", "exec" or ""
  std::vector<FaultField> fields;      // decoded bits in print order
};

// One decoded instruction of a Code: line.
struct CodeInsn {
  int64_t offset = 0;        // bytes relative to the faulting instruction
  std::string bytes;         // hex bytes
  std::string text;          // mnemonic and operands
  bool faulting = false;     // the <xx>/(xxxx) marked instruction
};

struct CodeDecode {
  std::string arch;          // capstone mode used
  std::string raw;           // the Code: line as printed
  std::vector<CodeInsn> insns;
  std::string error;         // why decoding failed, if it did
};

// A WARNING/BUG printed before the crash that mentions an address the crash also touches.
struct RelatedReport {
  std::string header;        // first line of the earlier report
  size_t line = 0;
  std::vector<uint64_t> shared_addresses;
};

// KASAN/KFENCE/KMSAN access details.
struct SanitizerAccess {
  std::string kind;          // "use-after-free", "slab-out-of-bounds", ...
  std::string access;        // "Read" or "Write" or ""
  std::optional<uint64_t> size;
  std::optional<uint64_t> address;
  std::vector<OopsFrame> alloc_stack;
  std::vector<OopsFrame> free_stack;
};

struct OopsReport {
  std::optional<std::string> title;  // nullopt: the log holds no crash report
  std::string type;                  // kdx crash type, e.g. "NULL-POINTER-DEREFERENCE"
  bool corrupted = false;
  std::string corrupted_reason;
  std::string guilty_frame;          // function name, "" when none
  size_t start_line = 0;             // 0-based line of the report header
  std::string header;                // report header line without prefixes
  std::vector<OopsFrame> frames;     // backtrace of the crash (ip first, then trace)
  std::optional<FaultInfo> fault;
  std::optional<CodeDecode> code;
  std::optional<SanitizerAccess> sanitizer;
  std::vector<RelatedReport> related;
};

struct AnalyzeOptions {
  FrameSymbolizer* symbolizer = nullptr;  // optional; used for every frame when set
};

// Reads a console log or dmesg text and names the first crash in it. Never fails: a log without a
// crash gives title == nullopt, and parts it cannot decode are left empty.
OopsReport analyze_log(std::string_view text, const AnalyzeOptions& options = {});

}  // namespace kdx::analysis

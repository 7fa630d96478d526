// KernelSymbols: a vmlinux (and relocated .ko modules) opened through elfutils: symbols, lines, inline chains, types.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kdx/error.hpp"

namespace kdx::symbols {

// Address -> symbol. Addresses are runtime addresses (link address + KASLR offset for vmlinux;
// the load address for modules).
struct SymbolHit {
  std::string name;
  uint64_t address = 0;               // runtime start address of the symbol
  uint64_t offset = 0;                // queried address - address
  uint64_t size = 0;                  // st_size; 0 when the symbol table does not say
  std::optional<std::string> module;  // nullopt for vmlinux
  char type_char = '?';               // nm/crash style: T t (text), D d (data), ...
};

// One level of an inline chain: the function and the source position inside it.
struct InlineFrame {
  std::string function;
  std::string file;
  int line = 0;
};

struct SourceLocation {
  std::string file;  // as recorded in the line table (absolute when the CU dir is known)
  int line = 0;
  int column = 0;
  // The functions at this address, innermost first, outermost (the real, out-of-line function)
  // last. Frame i's file:line is the position inside frame i (frame 0 = file:line above, frame
  // i>0 = the call site of frame i-1). Holds one entry when nothing was inlined.
  std::vector<InlineFrame> inlined;
};

struct AddressInfo {
  SymbolHit symbol;
  std::optional<SourceLocation> source;  // nullopt when there is no line info for the address
};

// Where a .ko's sections were loaded (from the dump's struct module / sect_attrs):
// section name (".text", ".data", ".init.text", ...) -> runtime address.
using SectionAddresses = std::map<std::string, uint64_t>;

// One member found by a member path.
struct MemberInfo {
  uint64_t offset = 0;       // byte offset from the start of the outer type (bit fields: bit_offset / 8)
  uint64_t size = 0;         // byte size of the member's type (0 for flexible arrays)
  uint64_t bit_offset = 0;   // offset in bits from the start of the outer type
  uint64_t bit_size = 0;     // non-zero for bit fields only
  std::string type_name;     // C spelling of the member's type, e.g. "struct list_head", "char [16]"
};

struct OpenOptions {
  // Directory for decompressed copies of .xz/.zst inputs and for the type-index cache.
  // Empty: $KDX_CACHE_DIR, else $XDG_CACHE_HOME/kdx, else $HOME/.cache/kdx, else /tmp/kdx-cache.
  std::string cache_dir;
  // Extra roots searched for separate debug files (like /usr/lib/debug).
  std::vector<std::string> debug_dirs;
  // Ask debuginfod (when DEBUGINFOD_URLS is set) for debug info that is not found locally.
  bool use_debuginfod = true;
};

// Not thread-safe: lookups fill lazy caches. One instance per session.
class KernelSymbols {
 public:
  // Opens a vmlinux (ELF executable or PIE; .xz/.zst compressed is decompressed into the cache
  // dir). Symbols come from the ELF symbol table; DWARF is opened lazily. Fails with Io (cannot
  // open), Format (not an ELF executable), Truncated/Corrupt (bad ELF), Unsupported.
  // A vmlinux without DWARF (stripped) opens fine: has_debug_info() says false and type/line
  // queries fail with NotPresent naming the file.
  static Result<std::unique_ptr<KernelSymbols>> open(const std::string& vmlinux, const OpenOptions& opts = {});
  // Fetches the vmlinux debug file by build-id through debuginfod (DEBUGINFOD_URLS must be
  // set) and opens it. Fails with NotPresent when no server has it.
  static Result<std::unique_ptr<KernelSymbols>> open_by_build_id(std::string_view build_id_hex,
                                                                  const OpenOptions& opts = {});
  ~KernelSymbols();
  KernelSymbols(const KernelSymbols&) = delete;
  KernelSymbols& operator=(const KernelSymbols&) = delete;

  // KASLR: runtime address = link address + offset (VMCOREINFO KERNELOFFSET). Default 0.
  void set_kaslr_offset(uint64_t offset);
  uint64_t kaslr_offset() const;

  // Identity of the opened kernel.
  const std::string& path() const;        // the file given to open()
  const std::string& debug_path() const;  // the file DWARF came from (may be a separate debug file)
  std::string build_id_hex() const;       // .note.gnu.build-id as lowercase hex; empty if none
  std::string machine() const;            // "x86_64", "aarch64", ...
  bool has_debug_info() const;
  // The linux_banner string from the file's data ("Linux version 6.1.0-... (...)"). Fails with
  // NotPresent when the symbol is missing or its section has no file contents.
  Result<std::string> linux_banner() const;
  // The release ("6.1.0-57-cloud-amd64") parsed from linux_banner.
  Result<std::string> osrelease() const;

  // Address -> symbol (vmlinux first, then modules). Fails with NotPresent when no symbol
  // covers the address (address set in the error).
  Result<SymbolHit> symbolize(uint64_t addr) const;
  // Symbol plus file:line and (unless inline_chain is false) the inline chain. Fails like
  // symbolize(); a missing line table is not an error (source is nullopt). The inline chain
  // walks the CU's DIE tree (~1.5 ms per new CU on a distro vmlinux): batch callers that need
  // only file:line pass false (source->inlined is then empty).
  Result<AddressInfo> address_info(uint64_t addr, bool inline_chain = true) const;
  // Symbol -> runtime address / full hit (size, module). Fails with NotPresent.
  Result<uint64_t> symbol_address(std::string_view name) const;
  Result<SymbolHit> lookup_symbol(std::string_view name) const;

  // Types, looked up lazily by name. `type` is "task_struct", "struct task_struct",
  // "union foo", "enum bar" or a typedef name ("atomic_t", "pgd_t"). A bare name matches a
  // struct first, then a union, typedef, enum, base type.
  // member_path: "tasks", "se.exec_start", "thread.sp", "numbers[1].nr"; anonymous struct/union
  // members are searched through. Fails with NotPresent (no such type or member) naming it.
  Result<uint64_t> member_offset(std::string_view type, std::string_view member_path) const;
  Result<MemberInfo> member_info(std::string_view type, std::string_view member_path) const;
  Result<uint64_t> type_size(std::string_view type) const;
  // The C spelling of a global variable's type and its declaration, e.g. "struct task_struct
  // init_task;" (crash's `whatis init_task`). Fails with NotPresent.
  Result<std::string> variable_declaration(std::string_view variable) const;

  // Layout text, formatted exactly like crash's `struct NAME` / `struct -o NAME` / `union -o`
  // (gdb ptype body, offsets in brackets, trailing "SIZE: n"). kind: "struct", "union" or ""
  // (any). hex selects crash's -x radix. Fails with NotPresent / Mismatch (kind differs).
  Result<std::string> format_layout(std::string_view kind, std::string_view type, bool offsets,
                                    bool hex = false) const;

  // An object's value printed as crash's `struct NAME ADDR` does (gdb's value print: members by
  // name, nested aggregates, arrays, enums, bit fields). bytes must hold type_size(type) bytes
  // read from the dump. Fails with NotPresent when the type is unknown.
  Result<std::string> format_object(std::string_view kind, std::string_view type, std::span<const uint8_t> bytes) const;

  // crash's `struct NAME.member[,member...]`: "struct NAME {", one `struct -o` line per member
  // ("   [912] pid_t pid;"), "}". Members may be dotted paths into nested structs
  // ("se.exec_start"; the offset is then from the start of NAME). Fails with NotPresent naming
  // the missing member.
  Result<std::string> format_member_layout(std::string_view kind, std::string_view type,
                                           const std::vector<std::string>& members, bool hex = false) const;
  // crash's `struct NAME.member[,member...] ADDR`: "  member = value," per member (aggregates
  // nested as in format_object). bytes hold the whole object (type_size(type) bytes).
  Result<std::string> format_member_values(std::string_view kind, std::string_view type,
                                           const std::vector<std::string>& members,
                                           std::span<const uint8_t> bytes) const;
  // A global variable's value as gdb's print shows it, whole or one member path ("name.release").
  // bytes hold the variable as read from the dump (for an incomplete array such as
  // linux_banner[], as many bytes as the caller read: its ELF symbol size).
  Result<std::string> format_variable(std::string_view variable, std::string_view member_path,
                                      std::span<const uint8_t> bytes) const;

  // Modules. add_module loads `path` (.ko, .ko.xz, .ko.zst, or its .debug) relocated at the
  // given section addresses (ideally all of mod->sect_attrs); sections not given are placed
  // the way the kernel's layout_sections() does, from a given section of the same group or
  // layout (so {".text": module_core} alone works up to 6.3; for 6.4+ give one section per
  // mem[] region). Later symbolize()/address_info()/lookup_symbol() cover it. Fails with
  // Io/Format, or Mismatch (.modinfo name differs from `name`, vermagic release differs from
  // the vmlinux's).
  Result<void> add_module(std::string name, const std::string& path, const SectionAddresses& sections);
  // Finds NAME.ko[.xz|.zst] (also with '-'/'_' swapped) under the given dirs, then
  // /lib/modules/RELEASE and /usr/lib/debug/lib/modules/RELEASE. Fails with NotPresent.
  Result<std::string> find_module_file(std::string_view name, const std::vector<std::string>& dirs) const;
  std::vector<std::string> module_names() const;

  struct Impl;

 private:
  explicit KernelSymbols(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Parses "0x..."/hex ("ffffffff81000000") or decimal ("#123"-free) numbers as crash does for
// addresses: hex by default, with or without 0x. Fails with Usage.
Result<uint64_t> parse_address(std::string_view text);

}  // namespace kdx::symbols

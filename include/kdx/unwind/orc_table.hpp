// x86_64 ORC unwind tables (.orc_unwind_ip + .orc_unwind) from vmlinux, a byte blob or the dump.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kdx/error.hpp"
#include "kdx/virt_reader.hpp"

namespace kdx::unwind {

// The on-disk orc_entry flag bits changed twice; the 6-byte size did not (see
// docs/unwinding.md). Bits of the u16 after sp_offset and bp_offset, little-endian:
//   V1 (v4.14 .. v6.2):  sp_reg 0-3, bp_reg 4-7, type 8-9 (CALL 0, REGS 1, REGS_PARTIAL 2), end 10
//   V2 (v6.3, ffb1b4a41016 "Add 'signal' field"): ... type 8-9, signal 10, end 11
//   V3 (v6.4+, fb799447ae29 "Split UNWIND_HINT_EMPTY"): type 8-10 (UNDEFINED 0,
//       END_OF_STACK 1, CALL 2, REGS 3, REGS_PARTIAL 4), signal 11
enum class OrcFormat { V1, V2, V3 };
const char* orc_format_name(OrcFormat f);

// The ORC format a kernel release uses, from its "major.minor" prefix ("6.1.0-18-amd64" ->
// V1). Fails with Format when osrelease does not start with a version number.
Result<OrcFormat> orc_format_for_release(std::string_view osrelease);
// The format named by a 20-byte .orc_header hash (v6.4+, and 6.3.10+); nullopt if unknown.
std::optional<OrcFormat> orc_format_from_header(std::span<const uint8_t> header);

// Normalized entry type, independent of the format version.
enum class OrcType : uint8_t { Undefined, EndOfStack, Call, Regs, RegsPartial };
// ORC_REG_* base registers (same numbers in every version).
enum class OrcReg : uint8_t {
  Undefined = 0, PrevSp = 1, Dx = 2, Di = 3, Bp = 4, Sp = 5, R10 = 6, R13 = 7,
  BpIndirect = 8, SpIndirect = 9,
};

struct OrcEntry {
  int16_t sp_offset = 0;
  int16_t bp_offset = 0;
  OrcReg sp_reg = OrcReg::Undefined;
  OrcReg bp_reg = OrcReg::Undefined;
  OrcType type = OrcType::Undefined;
  // The caller's ip is exact (an interrupted instruction), not a return address.
  bool signal = false;
};

// Decodes one 6-byte little-endian orc_entry.
OrcEntry decode_orc_entry(std::span<const uint8_t, 6> bytes, OrcFormat format);

class OrcTable {
 public:
  OrcTable() = default;
  // ip_bytes: .orc_unwind_ip (s32 offsets, each relative to its own address);
  // ip_section_addr: the link-time address of .orc_unwind_ip; bias: added to every ip (the
  // KASLR offset for vmlinux). Fails with Format when the sizes disagree
  // (ip count != orc count, or not multiples of 4 / 6) or the table is empty.
  static Result<OrcTable> from_bytes(std::span<const uint8_t> ip_bytes, uint64_t ip_section_addr,
                                     std::span<const uint8_t> orc_bytes, OrcFormat format, uint64_t bias = 0);
  // Loads the sections from an ELF file (vmlinux). The format comes from .orc_header when
  // present, else `format_without_header` (use orc_format_for_release). Fails with Io when
  // the file cannot be opened, NotPresent when it has no ORC sections, Unsupported for a
  // relocatable file (a .ko: use from_memory with the loaded module's tables instead).
  static Result<OrcTable> from_elf(const std::string& path, uint64_t bias, OrcFormat format_without_header);
  // Reads `count` entries from kernel memory: a module's mod_arch_specific orc_unwind_ip /
  // orc_unwind / num_orcs, or vmlinux's __start_orc_unwind_ip / __start_orc_unwind. The
  // ip offsets in memory are already relative to their loaded address. Fails with the
  // reader's error, or Format when count is 0 or absurdly large.
  static Result<OrcTable> from_memory(VirtReader& mem, uint64_t ip_table_addr, uint64_t orc_table_addr,
                                      uint64_t count, OrcFormat format);

  size_t size() const { return ips_.size(); }
  uint64_t ip(size_t i) const { return ips_[i]; }
  const OrcEntry& entry(size_t i) const { return entries_[i]; }
  uint64_t min_ip() const { return ips_.empty() ? 0 : ips_.front(); }
  uint64_t max_ip() const { return ips_.empty() ? 0 : ips_.back(); }
  OrcFormat format() const { return format_; }

  // The entry covering ip (the last one whose ip <= ip), or nullopt when ip is below the
  // first entry. Entries of type Undefined mean "no unwind information here".
  std::optional<OrcEntry> find(uint64_t ip) const;

 private:
  static Result<OrcTable> build(std::vector<uint64_t> ips, std::span<const uint8_t> orc_bytes, OrcFormat format);
  std::vector<uint64_t> ips_;
  std::vector<OrcEntry> entries_;
  OrcFormat format_ = OrcFormat::V1;
};

// vmlinux's table plus one per module; picks the table whose text range holds the ip.
class OrcTableSet {
 public:
  // Adds a table covering [text_begin, text_end); without a range, [min_ip, max_ip].
  void add(OrcTable table, std::optional<uint64_t> text_begin = {}, std::optional<uint64_t> text_end = {});
  // The entry for ip: the kernel's null_orc_entry for ip 0 (a call through a NULL pointer
  // leaves the return address on top of the stack); nullopt when no table covers ip.
  std::optional<OrcEntry> find(uint64_t ip) const;
  bool empty() const { return tables_.empty(); }
  size_t table_count() const { return tables_.size(); }
  const OrcTable& table(size_t i) const { return tables_[i].table; }

 private:
  struct Ranged {
    OrcTable table;
    uint64_t begin, end;  // end inclusive
  };
  std::vector<Ranged> tables_;
};

}  // namespace kdx::unwind

// Loading and searching x86_64 ORC tables; every size and count is checked before use.
#include "kdx/unwind/orc_table.hpp"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <numeric>

namespace kdx::unwind {

const char* orc_format_name(OrcFormat f) {
  switch (f) {
    case OrcFormat::V1: return "v1 (4.14-6.2)";
    case OrcFormat::V2: return "v2 (6.3)";
    case OrcFormat::V3: return "v3 (6.4+)";
  }
  return "unknown";
}

Result<OrcFormat> orc_format_for_release(std::string_view rel) {
  unsigned major = 0, minor = 0;
  const char* p = rel.data();
  const char* end = rel.data() + rel.size();
  auto r1 = std::from_chars(p, end, major);
  if (r1.ec != std::errc{} || r1.ptr == end || *r1.ptr != '.')
    return make_error(ErrorCode::Format, "kernel release '{}' does not start with MAJOR.MINOR", rel);
  auto r2 = std::from_chars(r1.ptr + 1, end, minor);
  if (r2.ec != std::errc{})
    return make_error(ErrorCode::Format, "kernel release '{}' does not start with MAJOR.MINOR", rel);
  if (major > 6 || (major == 6 && minor >= 4)) return OrcFormat::V3;
  if (major == 6 && minor == 3) return OrcFormat::V2;
  return OrcFormat::V1;
}

std::optional<OrcFormat> orc_format_from_header(std::span<const uint8_t> header) {
  // The kernel's ORC_HASH (scripts/orc_hash.sh over orc_types.h) of each layout that has one;
  // the values are the ones drgn recognizes.
  static constexpr uint8_t kHash64[20] = {0xfe, 0x5d, 0x32, 0xbf, 0x58, 0x1b, 0xd6, 0x3b, 0x2c, 0xa9,
                                          0xa5, 0xc6, 0x5b, 0xa5, 0xa6, 0x25, 0xea, 0xb3, 0xfe, 0x24};
  static constexpr uint8_t kHash63[20] = {0xdb, 0x84, 0xae, 0xd4, 0x10, 0x3b, 0x31, 0xdd, 0x51, 0xe0,
                                          0x17, 0xf8, 0xf7, 0x97, 0x83, 0xca, 0x98, 0x5c, 0x2c, 0x51};
  if (header.size() != 20) return std::nullopt;
  if (std::memcmp(header.data(), kHash64, 20) == 0) return OrcFormat::V3;
  if (std::memcmp(header.data(), kHash63, 20) == 0) return OrcFormat::V2;
  return std::nullopt;
}

static OrcType old_type(unsigned t) {
  switch (t) {
    case 0: return OrcType::Call;
    case 1: return OrcType::Regs;
    case 2: return OrcType::RegsPartial;
    default: return OrcType::Undefined;
  }
}

OrcEntry decode_orc_entry(std::span<const uint8_t, 6> b, OrcFormat format) {
  OrcEntry e;
  e.sp_offset = static_cast<int16_t>(static_cast<uint16_t>(b[0] | (b[1] << 8)));
  e.bp_offset = static_cast<int16_t>(static_cast<uint16_t>(b[2] | (b[3] << 8)));
  unsigned flags = b[4] | (b[5] << 8);
  e.sp_reg = static_cast<OrcReg>(flags & 0xf);
  e.bp_reg = static_cast<OrcReg>((flags >> 4) & 0xf);
  switch (format) {
    case OrcFormat::V1:
    case OrcFormat::V2: {
      unsigned t = (flags >> 8) & 3;
      bool end = format == OrcFormat::V1 ? (flags >> 10) & 1 : (flags >> 11) & 1;
      // Before v6.4, "undefined" and "end of stack" were spelled sp_reg == UNDEFINED with
      // end clear or set; v1 has no signal bit, REGS and REGS_PARTIAL imply it.
      if (e.sp_reg == OrcReg::Undefined)
        e.type = end ? OrcType::EndOfStack : OrcType::Undefined;
      else
        e.type = old_type(t);
      e.signal = format == OrcFormat::V1 ? (t == 1 || t == 2) : ((flags >> 10) & 1) != 0;
      break;
    }
    case OrcFormat::V3: {
      unsigned t = (flags >> 8) & 7;
      static constexpr OrcType kTypes[] = {OrcType::Undefined, OrcType::EndOfStack, OrcType::Call, OrcType::Regs,
                                           OrcType::RegsPartial};
      e.type = t < 5 ? kTypes[t] : OrcType::Undefined;
      e.signal = ((flags >> 11) & 1) != 0;
      break;
    }
  }
  return e;
}

// Largest table accepted: a distribution vmlinux has ~0.5 M entries; anything far beyond
// is a corrupt count, and would make us allocate gigabytes.
static constexpr uint64_t kMaxOrcEntries = 16u << 20;

Result<OrcTable> OrcTable::build(std::vector<uint64_t> ips, std::span<const uint8_t> orc_bytes, OrcFormat format) {
  size_t n = ips.size();
  if (n == 0) return make_error(ErrorCode::Format, "ORC table is empty");
  if (orc_bytes.size() != n * 6)
    return make_error(ErrorCode::Format, ".orc_unwind has {} bytes, expected {} for {} entries", orc_bytes.size(),
                      n * 6, n);
  std::vector<OrcEntry> entries(n);
  for (size_t i = 0; i < n; ++i)
    entries[i] = decode_orc_entry(std::span<const uint8_t, 6>(orc_bytes.data() + 6 * i, 6), format);

  OrcTable t;
  t.format_ = format;
  bool sorted = std::is_sorted(ips.begin(), ips.end());
  if (sorted) {
    t.ips_ = std::move(ips);
    t.entries_ = std::move(entries);
  } else {
    // vmlinux is sorted at build time since v5.6 (f14bf6a350df); modules and old kernels
    // may not be. At equal ips a terminator sorts first so that find() picks the real entry.
    std::vector<size_t> idx(n);
    std::iota(idx.begin(), idx.end(), size_t{0});
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
      if (ips[a] != ips[b]) return ips[a] < ips[b];
      return entries[a].type == OrcType::Undefined && entries[b].type != OrcType::Undefined;
    });
    t.ips_.reserve(n);
    t.entries_.reserve(n);
    for (size_t i : idx) {
      t.ips_.push_back(ips[i]);
      t.entries_.push_back(entries[i]);
    }
  }
  return t;
}

Result<OrcTable> OrcTable::from_bytes(std::span<const uint8_t> ip_bytes, uint64_t ip_section_addr,
                                      std::span<const uint8_t> orc_bytes, OrcFormat format, uint64_t bias) {
  if (ip_bytes.size() % 4 != 0)
    return make_error(ErrorCode::Format, ".orc_unwind_ip size {} is not a multiple of 4", ip_bytes.size());
  if (orc_bytes.size() % 6 != 0)
    return make_error(ErrorCode::Format, ".orc_unwind size {} is not a multiple of 6", orc_bytes.size());
  size_t n = ip_bytes.size() / 4;
  if (n > kMaxOrcEntries) return make_error(ErrorCode::Format, "ORC table has {} entries, too many", n);
  if (orc_bytes.size() / 6 != n)
    return make_error(ErrorCode::Format, ".orc_unwind_ip has {} entries but .orc_unwind has {}", n,
                      orc_bytes.size() / 6);
  std::vector<uint64_t> ips(n);
  uint64_t base = ip_section_addr + bias;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* p = ip_bytes.data() + 4 * i;
    int32_t off = static_cast<int32_t>(static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
                                       (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24));
    ips[i] = base + 4 * i + static_cast<uint64_t>(static_cast<int64_t>(off));
  }
  return build(std::move(ips), orc_bytes, format);
}

namespace {
struct ElfHandle {
  int fd = -1;
  Elf* elf = nullptr;
  ~ElfHandle() {
    if (elf) elf_end(elf);
    if (fd >= 0) ::close(fd);
  }
};
}  // namespace

Result<OrcTable> OrcTable::from_elf(const std::string& path, uint64_t bias, OrcFormat format_without_header) {
  auto fail = [&](ErrorCode c, std::string msg) {
    return std::unexpected(Error{c, std::move(msg), path, {}, {}});
  };
  elf_version(EV_CURRENT);
  ElfHandle h;
  h.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (h.fd < 0) return fail(ErrorCode::Io, std::string("cannot open: ") + std::strerror(errno));
  h.elf = elf_begin(h.fd, ELF_C_READ_MMAP, nullptr);
  if (!h.elf || elf_kind(h.elf) != ELF_K_ELF) return fail(ErrorCode::Format, "not an ELF file");
  GElf_Ehdr ehdr;
  if (!gelf_getehdr(h.elf, &ehdr)) return fail(ErrorCode::Format, std::string("bad ELF header: ") + elf_errmsg(-1));
  if (ehdr.e_ident[EI_CLASS] != ELFCLASS64 || ehdr.e_ident[EI_DATA] != ELFDATA2LSB)
    return fail(ErrorCode::Unsupported, "ORC tables are read from 64-bit little-endian x86_64 files only");
  if (ehdr.e_type == ET_REL)
    return fail(ErrorCode::Unsupported,
                "relocatable file (a module): read its ORC tables from the dump's struct module instead");
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(h.elf, &shstrndx) != 0)
    return fail(ErrorCode::Format, std::string("no section name table: ") + elf_errmsg(-1));

  Elf_Scn* ip_scn = nullptr;
  Elf_Scn* orc_scn = nullptr;
  Elf_Scn* hdr_scn = nullptr;
  uint64_t ip_addr = 0;
  for (Elf_Scn* scn = elf_nextscn(h.elf, nullptr); scn; scn = elf_nextscn(h.elf, scn)) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) continue;
    const char* name = elf_strptr(h.elf, shstrndx, sh.sh_name);
    if (!name) continue;
    if (sh.sh_type == SHT_NOBITS) continue;
    if (!ip_scn && std::strcmp(name, ".orc_unwind_ip") == 0) {
      ip_scn = scn;
      ip_addr = sh.sh_addr;
    } else if (!orc_scn && std::strcmp(name, ".orc_unwind") == 0) {
      orc_scn = scn;
    } else if (!hdr_scn && std::strcmp(name, ".orc_header") == 0) {
      hdr_scn = scn;
    }
  }
  if (!ip_scn || !orc_scn)
    return fail(ErrorCode::NotPresent, "no .orc_unwind_ip/.orc_unwind sections (kernel built without ORC?)");

  OrcFormat format = format_without_header;
  if (hdr_scn) {
    Elf_Data* d = elf_getdata(hdr_scn, nullptr);
    if (!d || !d->d_buf) return fail(ErrorCode::Format, "cannot read .orc_header");
    auto f = orc_format_from_header({static_cast<const uint8_t*>(d->d_buf), d->d_size});
    if (!f) return fail(ErrorCode::Unsupported, "unrecognized .orc_header hash (an ORC layout newer than v6.4?)");
    format = *f;
  }
  Elf_Data* ipd = elf_getdata(ip_scn, nullptr);
  Elf_Data* orcd = elf_getdata(orc_scn, nullptr);
  if (!ipd || !orcd || !ipd->d_buf || !orcd->d_buf)
    return fail(ErrorCode::Truncated, std::string("cannot read ORC section data: ") + elf_errmsg(-1));
  auto t = from_bytes({static_cast<const uint8_t*>(ipd->d_buf), ipd->d_size}, ip_addr,
                      {static_cast<const uint8_t*>(orcd->d_buf), orcd->d_size}, format, bias);
  if (!t) return std::unexpected(std::move(t.error()).in_file(path));
  return t;
}

Result<OrcTable> OrcTable::from_memory(VirtReader& mem, uint64_t ip_table_addr, uint64_t orc_table_addr,
                                       uint64_t count, OrcFormat format) {
  if (count == 0 || count > kMaxOrcEntries)
    return make_error(ErrorCode::Format, "ORC entry count {} is out of range (1..{})", count, kMaxOrcEntries);
  std::vector<uint8_t> ipb(count * 4), orcb(count * 6);
  if (auto r = mem.read_virt(ip_table_addr, ipb); !r) return std::unexpected(r.error());
  if (auto r = mem.read_virt(orc_table_addr, orcb); !r) return std::unexpected(r.error());
  return from_bytes(ipb, ip_table_addr, orcb, format, 0);
}

std::optional<OrcEntry> OrcTable::find(uint64_t ip) const {
  auto it = std::upper_bound(ips_.begin(), ips_.end(), ip);
  if (it == ips_.begin()) return std::nullopt;
  return entries_[static_cast<size_t>(it - ips_.begin()) - 1];
}

void OrcTableSet::add(OrcTable table, std::optional<uint64_t> text_begin, std::optional<uint64_t> text_end) {
  uint64_t b = text_begin.value_or(table.min_ip());
  uint64_t e = text_end ? (*text_end == 0 ? 0 : *text_end - 1) : table.max_ip();
  tables_.push_back(Ranged{std::move(table), b, e});
}

std::optional<OrcEntry> OrcTableSet::find(uint64_t ip) const {
  if (ip == 0) {
    // Linux's null_orc_entry (arch/x86/kernel/unwind_orc.c): a call to NULL pushed the
    // return address and faulted before anything else.
    OrcEntry e;
    e.sp_offset = 8;
    e.sp_reg = OrcReg::Sp;
    e.bp_reg = OrcReg::Undefined;
    e.type = OrcType::Call;
    return e;
  }
  for (const auto& t : tables_)
    if (ip >= t.begin && ip <= t.end) return t.table.find(ip);
  return std::nullopt;
}

}  // namespace kdx::unwind

// ELF64 vmcore reader: PT_LOADs through libelf, notes, zero-fill past p_filesz, incomplete dumps.
#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <cstring>

#include "notes.hpp"
#include "readers.hpp"

namespace kdx::dump {
namespace {

// A physical stretch served by one PT_LOAD.
struct Extent {
  uint64_t paddr, memsz, filesz, file_avail, offset;
  int index;
};

class ElfDump : public Dump {
 public:
  Result<void> read_phys(uint64_t paddr, std::span<uint8_t> out) override {
    size_t done = 0;
    while (done < out.size()) {
      uint64_t a = paddr + done;
      const Extent* e = find(a);
      if (!e) return error_at_address(ErrorCode::NotPresent, a, "physical address not in the dump (no PT_LOAD covers it)");
      uint64_t in = a - e->paddr;
      uint64_t n = std::min<uint64_t>(out.size() - done, e->memsz - in);
      if (in < e->file_avail) {
        n = std::min(n, e->file_avail - in);
        auto r = src_->read(e->offset + in, out.subspan(done, n), "PT_LOAD data");
        if (!r) return r;
      } else if (in < e->filesz) {
        return error_at_address(ErrorCode::NotPresent, a,
                                fmt::format("page missing: the incomplete dump ends inside PT_LOAD {}", e->index));
      } else {
        // Past p_filesz: the producer left these pages out of the file (makedumpfile -E
        // excluded them); ELF says they read as zeros.
        std::memset(out.data() + done, 0, n);
      }
      done += n;
    }
    return {};
  }

  PageState page_state(uint64_t paddr) override {
    const Extent* e = find(paddr);
    if (!e) return PageState::Hole;
    uint64_t in = paddr - e->paddr;
    if (in < e->file_avail) return PageState::Present;
    if (in < e->filesz) return PageState::Missing;
    return PageState::Excluded;
  }

  Result<void> load(std::shared_ptr<ByteSource> src);

 private:
  const Extent* find(uint64_t a) const {
    auto it = std::upper_bound(extents_.begin(), extents_.end(), a,
                               [](uint64_t x, const Extent& e) { return x < e.paddr; });
    if (it == extents_.begin()) return nullptr;
    --it;
    return a - it->paddr < it->memsz ? &*it : nullptr;
  }
  std::shared_ptr<ByteSource> src_;
  std::vector<Extent> extents_;
};

std::unexpected<Error> fail(const ByteSource& s, ErrorCode c, uint64_t off, std::string msg) {
  return std::unexpected(Error{c, std::move(msg), s.name(), off, {}});
}

Result<void> ElfDump::load(std::shared_ptr<ByteSource> src) {
  src_ = std::move(src);
  const ByteSource& s = *src_;
  format_ = DumpFormat::Elf;
  files_ = {s.name()};
  auto bytes = contiguous_bytes(s);
  if (bytes.empty()) {
    return fail(s, ErrorCode::Unsupported, 0,
                "flattened ELF dump: reassemble it first with makedumpfile -R (only flattened kdump-compressed "
                "dumps are read in place)");
  }
  if (bytes.size() < 64) {
    return fail(s, ErrorCode::Truncated, 0, fmt::format("ELF header: expected 64 bytes, file has {}", bytes.size()));
  }
  if (bytes[EI_CLASS] != ELFCLASS64) {
    return fail(s, ErrorCode::Unsupported, EI_CLASS,
                fmt::format("ELF class: expected ELFCLASS64 (2), found {}", bytes[EI_CLASS]));
  }
  // Checked before libelf sees the bytes: with a foreign byte order libelf would convert
  // in place, and the mapping is read-only.
  if (bytes[EI_DATA] != ELFDATA2LSB) {
    return fail(s, ErrorCode::Unsupported, EI_DATA,
                fmt::format("ELF data encoding: expected little-endian (1), found {}", bytes[EI_DATA]));
  }
  auto e_type = s.u16(16, "e_type");
  auto e_machine = s.u16(18, "e_machine");
  auto e_phoff = s.u64(32, "e_phoff");
  auto e_flags = s.u32(48, "e_flags");
  auto e_ehsize = s.u16(52, "e_ehsize");
  auto e_phentsize = s.u16(54, "e_phentsize");
  auto e_phnum = s.u16(56, "e_phnum");
  if (!e_type || !e_machine || !e_phoff || !e_flags || !e_ehsize || !e_phentsize || !e_phnum)
    return fail(s, ErrorCode::Truncated, 0, "ELF header truncated");
  if (*e_type != ET_CORE) {
    return fail(s, ErrorCode::Format, 16, fmt::format("e_type: expected ET_CORE (4), found {}", *e_type));
  }
  if (*e_machine == EM_X86_64) arch_ = Arch::X86_64;
  else if (*e_machine == EM_AARCH64) arch_ = Arch::Arm64;
  else
    return fail(s, ErrorCode::Unsupported, 18,
                fmt::format("e_machine: expected EM_X86_64 (62) or EM_AARCH64 (183), found {}", *e_machine));
  if (*e_phentsize != sizeof(Elf64_Phdr)) {
    return fail(s, ErrorCode::Format, 54, fmt::format("e_phentsize: expected 56, found {}", *e_phentsize));
  }
  // QEMU 7.2 writes e_ehsize = 8 with program headers at 192; e_ehsize is not needed to read
  // the file, so it is not checked. PN_XNUM (more than 65534 segments) is left to libelf.
  if (*e_phnum != PN_XNUM && (*e_phoff > bytes.size() || uint64_t{*e_phnum} * 56 > bytes.size() - *e_phoff)) {
    return fail(s, ErrorCode::Truncated, 32,
                fmt::format("program headers: e_phoff {:#x} + {} x 56 bytes: expected inside the file ({:#x} bytes)",
                            *e_phoff, *e_phnum, bytes.size()));
  }
  incomplete_ = (*e_flags & 1) != 0;  // makedumpfile -E marks a cut-short dump this way

  elf_version(EV_CURRENT);
  Elf* elf = elf_memory(const_cast<char*>(reinterpret_cast<const char*>(bytes.data())), bytes.size());
  if (!elf) return fail(s, ErrorCode::Format, 0, fmt::format("libelf: {}", elf_errmsg(-1)));
  struct ElfCloser {
    Elf* e;
    ~ElfCloser() { elf_end(e); }
  } closer{elf};
  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) != 0) {
    return fail(s, ErrorCode::Format, 56, fmt::format("program header count: libelf: {}", elf_errmsg(-1)));
  }
  NoteSet notes;
  std::vector<Extent> loads;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(elf, static_cast<int>(i), &ph)) {
      return fail(s, ErrorCode::Format, *e_phoff + i * 56,
                  fmt::format("program header {}: libelf: {}", i, elf_errmsg(-1)));
    }
    uint64_t ph_off = *e_phoff + i * 56;
    if (ph.p_type == PT_NOTE) {
      if (ph.p_offset > bytes.size() || ph.p_filesz > bytes.size() - ph.p_offset) {
        if (incomplete_) continue;
        return fail(s, ErrorCode::Truncated, ph_off,
                    fmt::format("PT_NOTE segment {}: offset {:#x} + size {:#x}: expected inside the file ({:#x} bytes)",
                                i, ph.p_offset, ph.p_filesz, bytes.size()));
      }
      auto r = parse_notes(s, ph.p_offset, ph.p_filesz, notes);
      if (!r) return std::unexpected(r.error());
    } else if (ph.p_type == PT_LOAD) {
      if (ph.p_filesz > ph.p_memsz) {
        return fail(s, ErrorCode::Corrupt, ph_off,
                    fmt::format("PT_LOAD segment {}: p_filesz {:#x}: expected at most p_memsz {:#x}", i, ph.p_filesz,
                                ph.p_memsz));
      }
      if (ph.p_paddr + ph.p_memsz < ph.p_paddr) {
        return fail(s, ErrorCode::Corrupt, ph_off,
                    fmt::format("PT_LOAD segment {}: p_paddr {:#x} + p_memsz {:#x} wraps around", i, ph.p_paddr,
                                ph.p_memsz));
      }
      uint64_t avail = ph.p_filesz;
      if (ph.p_offset > bytes.size() || ph.p_filesz > bytes.size() - ph.p_offset) {
        if (!incomplete_) {
          return fail(s, ErrorCode::Truncated, ph_off,
                      fmt::format("PT_LOAD segment {}: offset {:#x} + p_filesz {:#x}: expected inside the file "
                                  "({:#x} bytes)",
                                  i, ph.p_offset, ph.p_filesz, bytes.size()));
        }
        avail = ph.p_offset > bytes.size() ? 0 : bytes.size() - ph.p_offset;
      }
      if (ph.p_memsz == 0) continue;
      loads.push_back({ph.p_paddr, ph.p_memsz, ph.p_filesz, avail, ph.p_offset, static_cast<int>(i)});
      segments_.push_back({ph.p_paddr, ph.p_vaddr, ph.p_memsz, ph.p_filesz, ph.p_offset, static_cast<int>(i)});
    }
  }
  // /proc/vmcore repeats the kernel image as its own PT_LOAD, physically inside a RAM
  // segment: a segment wholly inside another is that alias and is skipped for physical
  // reads. Any other overlap means the file contradicts itself.
  std::stable_sort(loads.begin(), loads.end(), [](const Extent& a, const Extent& b) {
    return a.paddr != b.paddr ? a.paddr < b.paddr : a.memsz > b.memsz;
  });
  for (const Extent& e : loads) {
    if (!extents_.empty()) {
      const Extent& last = extents_.back();
      uint64_t last_end = last.paddr + last.memsz;
      if (e.paddr < last_end) {
        if (e.paddr + e.memsz <= last_end) continue;
        return fail(s, ErrorCode::Corrupt, *e_phoff + e.index * 56,
                    fmt::format("PT_LOAD segment {} [{:#x}, {:#x}) overlaps segment {} [{:#x}, {:#x}): expected "
                                "disjoint physical ranges",
                                e.index, e.paddr, e.paddr + e.memsz, last.index, last.paddr, last_end));
      }
    }
    extents_.push_back(e);
  }
  std::vector<PhysRange> ranges;
  for (const Extent& e : extents_) ranges.push_back({e.paddr, e.paddr + e.memsz});
  ranges_ = merge_ranges(std::move(ranges));

  vmcoreinfo_ = notes.vmcoreinfo;
  other_notes_ = notes.others;
  if (vmcoreinfo_) {
    if (auto ps = vmcoreinfo_->page_size(); ps && *ps >= 1024 && (*ps & (*ps - 1)) == 0) page_size_ = *ps;
    release_ = vmcoreinfo_->osrelease().value_or("");
    crash_time_ = vmcoreinfo_->crash_time();
    if (arch_ == Arch::X86_64) phys_base_ = vmcoreinfo_->number_u64("phys_base");
  } else {
    warnings_.push_back("no VMCOREINFO note: kernel release, page size and symbols offsets are unknown");
  }
  block_size_ = page_size_;
  producer_ = (notes.qemu_notes || *e_ehsize != sizeof(Elf64_Ehdr)) ? Producer::Qemu : Producer::Kernel;
  cpus_ = decode_prstatus(s, notes, arch_, warnings_);
  decide_cpus(cpus_, producer_ == Producer::Qemu, crashed_cpu_);
  if (!cpus_.empty() && cpus_[0].pid_is_vcpu) producer_ = Producer::Qemu;
  for (const Extent& e : extents_) {
    auto pages = [&](uint64_t bytes_) { return (bytes_ + page_size_ - 1) / page_size_; };
    counts_.present += pages(e.file_avail);
    counts_.missing += pages(e.filesz) - pages(e.file_avail);
    counts_.excluded += pages(e.memsz) - pages(e.filesz);
  }
  if (incomplete_) warnings_.push_back("the dump is incomplete (ELF e_flags bit 0): missing pages cannot be read");
  return {};
}

}  // namespace

std::vector<PhysRange> merge_ranges(std::vector<PhysRange> r) {
  std::sort(r.begin(), r.end(), [](const PhysRange& a, const PhysRange& b) { return a.start < b.start; });
  std::vector<PhysRange> out;
  for (const auto& x : r) {
    if (!out.empty() && x.start <= out.back().end) out.back().end = std::max(out.back().end, x.end);
    else out.push_back(x);
  }
  return out;
}

std::optional<Result<std::unique_ptr<Dump>>> try_open_elf(const Sources& sources) {
  if (sources.empty()) return std::nullopt;
  uint8_t magic[4];
  if (!sources[0]->read(0, magic, "ELF magic") || std::memcmp(magic, ELFMAG, SELFMAG) != 0) return std::nullopt;
  if (sources.size() > 1) {
    return std::unexpected(Error{ErrorCode::Usage,
                                 fmt::format("is an ELF dump but {} dump files were given: only kdump-compressed "
                                             "dumps come in split parts",
                                             sources.size()),
                                 sources[1]->name(), {}, {}});
  }
  auto d = std::make_unique<ElfDump>();
  auto r = d->load(sources[0]);
  if (!r) return std::unexpected(r.error());
  return std::unique_ptr<Dump>(std::move(d));
}

}  // namespace kdx::dump

// An opened crash dump (ELF vmcore or kdump-compressed, plain, flattened or split): physical memory plus its notes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "kdx/dump/byte_source.hpp"
#include "kdx/dump/prstatus.hpp"
#include "kdx/dump/vmcoreinfo.hpp"
#include "kdx/error.hpp"
#include "kdx/phys_reader.hpp"

namespace kdx::dump {

enum class DumpFormat { Elf, Kdump };
const char* format_name(DumpFormat f);  // "elf", "kdump"

enum class Codec { Raw, Zlib, Lzo, Snappy, Zstd };
const char* codec_name(Codec c);  // "raw", "zlib", "lzo", "snappy", "zstd"

// Who wrote the dump, as far as the bytes tell. Some quirks depend on it.
enum class Producer { Kernel, Qemu, Unknown };
const char* producer_name(Producer p);

// A physical range [start, end) of the dumped machine's memory that the dump covers.
struct PhysRange {
  uint64_t start = 0;
  uint64_t end = 0;
};

// One ELF PT_LOAD as written (ELF dumps only): where it is physically and, where the
// producer filled it in (/proc/vmcore, QEMU paging=true), virtually.
struct LoadSegment {
  uint64_t paddr = 0;
  uint64_t vaddr = 0;
  uint64_t memsz = 0;
  uint64_t filesz = 0;
  uint64_t offset = 0;
  int index = 0;  // program header index
};

// Page counts in units of the kernel page size (page_size()).
struct PageCounts {
  uint64_t present = 0;   // bytes are in the dump
  uint64_t excluded = 0;  // filtered by the dump level, read as zeros
  uint64_t missing = 0;   // should be there but the dump is incomplete
};

// Which CPU crashed and how kdx decided (see docs/dump-formats.md, "Crashed CPU").
struct CrashedCpu {
  int cpu = -1;
  std::string reason;
};

class Dump : public PhysReader {
 public:
  ~Dump() override = default;

  DumpFormat format() const { return format_; }
  bool flattened() const { return flattened_; }
  bool split() const { return files_.size() > 1; }
  const std::vector<std::string>& files() const { return files_; }
  // Codecs the header declares (kdump); empty for ELF. Raw pages may occur in any kdump.
  const std::vector<Codec>& codecs() const { return codecs_; }
  Arch arch() const { return arch_; }
  Producer producer() const { return producer_; }
  // The kernel's page size: VMCOREINFO PAGESIZE, else the dump's block size.
  uint64_t page_size() const { return page_size_; }
  // The dump's own granularity (kdump block_size: QEMU arm64 uses 64 KiB over 4 KiB pages).
  uint64_t block_size() const { return block_size_; }
  // makedumpfile -d level (kdump sub-header); nullopt for ELF or unknown.
  std::optional<int> dump_level() const { return dump_level_; }
  bool incomplete() const { return incomplete_; }
  // VMCOREINFO CRASHTIME, else the kdump header timestamp; seconds since the epoch.
  std::optional<int64_t> crash_time() const { return crash_time_; }
  // VMCOREINFO OSRELEASE, else the kdump header's utsname.release; empty if neither.
  const std::string& release() const { return release_; }
  // Sorted, merged ranges of memory the dump covers.
  const std::vector<PhysRange>& phys_ranges() const { return ranges_; }
  const PageCounts& page_counts() const { return counts_; }
  // The ELF PT_LOADs (empty for kdump).
  const std::vector<LoadSegment>& load_segments() const { return segments_; }
  // One entry per NT_PRSTATUS note, in note order.
  const std::vector<PrStatus>& cpus() const { return cpus_; }
  // nullopt when the dump alone cannot tell (the symbols layer may know better: set_crashed_cpu).
  const std::optional<CrashedCpu>& crashed_cpu() const { return crashed_cpu_; }
  void set_crashed_cpu(CrashedCpu c) { crashed_cpu_ = std::move(c); }
  // nullptr when the dump carries no VMCOREINFO (it still opens).
  const Vmcoreinfo* vmcoreinfo() const { return vmcoreinfo_ ? &*vmcoreinfo_ : nullptr; }
  // x86_64 phys_base: VMCOREINFO NUMBER(phys_base) first (QEMU's kdump sub-header value is
  // wrong), else the kdump sub-header's; nullopt if neither.
  std::optional<uint64_t> phys_base() const { return phys_base_; }
  // Things worth telling the user that did not stop the open (e.g. "no VMCOREINFO").
  const std::vector<std::string>& warnings() const { return warnings_; }
  // Named notes other than PRSTATUS/VMCOREINFO (e.g. "QEMU", "CORE/NT_PRFPREG"), by name.
  const std::vector<std::pair<std::string, uint32_t>>& other_notes() const { return other_notes_; }

  // PhysReader: see kdx/phys_reader.hpp. Errors name the file and offset of bad data.
  Result<void> read_phys(uint64_t paddr, std::span<uint8_t> out) override = 0;
  PageState page_state(uint64_t paddr) override = 0;

 protected:
  Dump() = default;
  DumpFormat format_ = DumpFormat::Elf;
  bool flattened_ = false;
  std::vector<std::string> files_;
  std::vector<Codec> codecs_;
  Arch arch_ = Arch::Unknown;
  Producer producer_ = Producer::Unknown;
  uint64_t page_size_ = 4096;
  uint64_t block_size_ = 4096;
  std::optional<int> dump_level_;
  bool incomplete_ = false;
  std::optional<int64_t> crash_time_;
  std::string release_;
  std::vector<PhysRange> ranges_;
  PageCounts counts_;
  std::vector<LoadSegment> segments_;
  std::vector<PrStatus> cpus_;
  std::optional<CrashedCpu> crashed_cpu_;
  std::optional<Vmcoreinfo> vmcoreinfo_;
  std::optional<uint64_t> phys_base_;
  std::vector<std::string> warnings_;
  std::vector<std::pair<std::string, uint32_t>> other_notes_;
};

// Opens one dump from its file(s), choosing the reader by content (ELF, "KDUMP   ",
// flattened "makedumpfile"), never by name. Several paths = one split dump. The files are
// mapped read-only. Fails with an Error naming the file, the field or offset, and what was
// expected versus found.
Result<std::unique_ptr<Dump>> open_dump(const std::vector<std::string>& paths);
// The same over caller-owned sources (fuzzing, tests).
Result<std::unique_ptr<Dump>> open_dump_sources(std::vector<std::shared_ptr<ByteSource>> sources);

// "zero pages, cache pages, ..." for a makedumpfile dump level (bits 1,2,4,8,16).
std::string dump_level_description(int level);

}  // namespace kdx::dump

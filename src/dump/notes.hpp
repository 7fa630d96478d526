// ELF note parsing shared by the ELF and kdump readers: PRSTATUS per CPU, VMCOREINFO, others.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kdx/dump/byte_source.hpp"
#include "kdx/dump/dump.hpp"

namespace kdx::dump {

// VMCOREINFO is a few KiB (the kernel reserves one page); more is not a VMCOREINFO.
inline constexpr uint64_t kMaxVmcoreinfo = 1 << 20;

struct NoteSet {
  struct RawPrStatus {
    uint64_t desc_offset = 0;
    uint64_t desc_size = 0;
  };
  std::vector<RawPrStatus> prstatus;
  std::optional<Vmcoreinfo> vmcoreinfo;
  std::vector<std::pair<std::string, uint32_t>> others;  // (name, type)
  bool qemu_notes = false;
};

// Walks the notes in [off, off+size) of src and appends what it finds to out. A zero header
// (the kernel's terminating note) ends the walk. Fails with Corrupt naming the note's file
// offset when a note's name or descriptor runs past the end of the area.
Result<void> parse_notes(const ByteSource& src, uint64_t off, uint64_t size, NoteSet& out);

// The arch a PRSTATUS descriptor size implies (336: x86_64, 392: arm64), else Unknown.
Arch arch_from_prstatus(const NoteSet& notes);
// The arch VMCOREINFO's own keys imply (arm64: VA_BITS/kimage_voffset; x86_64: phys_base,
// init_top_pgt), else Unknown.
Arch arch_from_vmcoreinfo(const Vmcoreinfo& vi);

// Decodes the PRSTATUS notes for arch into PrStatus entries (pid, register words); a note
// too short for the arch's registers keeps empty regs and adds a warning.
std::vector<PrStatus> decode_prstatus(const ByteSource& src, const NoteSet& notes, Arch arch,
                                      std::vector<std::string>& warnings);

// Applies kdx's rule for the producer's pid meaning and for the crashed CPU
// (docs/dump-formats.md, "Crashed CPU").
void decide_cpus(std::vector<PrStatus>& cpus, bool qemu, std::optional<CrashedCpu>& crashed);

}  // namespace kdx::dump

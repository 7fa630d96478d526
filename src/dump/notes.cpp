// ELF note walking with bounds checks, PRSTATUS decoding, and the crashed-CPU rule.
#include "notes.hpp"

#include <algorithm>

namespace kdx::dump {

static uint64_t align4(uint64_t v) { return (v + 3) & ~uint64_t{3}; }

Result<void> parse_notes(const ByteSource& src, uint64_t off, uint64_t size, NoteSet& out) {
  if (off > src.size() || size > src.size() - off || size > src.backing_size()) {
    return std::unexpected(Error{ErrorCode::Truncated,
                                 fmt::format("notes: {:#x} bytes at offset {:#x}: expected inside the file ({:#x} "
                                             "bytes, {:#x} stored)",
                                             size, off, src.size(), src.backing_size()),
                                 src.name(), off, {}});
  }
  const uint64_t end = off + size;
  uint64_t pos = off;
  while (end - pos >= 12) {
    auto namesz = src.u32(pos, "note namesz");
    auto descsz = src.u32(pos + 4, "note descsz");
    auto type = src.u32(pos + 8, "note type");
    if (!namesz || !descsz || !type) return std::unexpected((!namesz ? namesz : !descsz ? descsz : type).error());
    if (*namesz == 0 && *descsz == 0 && *type == 0) break;
    uint64_t name_off = pos + 12;
    uint64_t desc_off = name_off + align4(*namesz);
    uint64_t next = desc_off + align4(*descsz);
    if (align4(*namesz) > end - name_off || align4(*descsz) > end - std::min(end, desc_off) || desc_off > end) {
      return std::unexpected(Error{ErrorCode::Corrupt,
                                   fmt::format("note at {:#x}: namesz {} + descsz {} run past the end of the notes "
                                               "({:#x})",
                                               pos, *namesz, *descsz, end),
                                   src.name(), pos, {}});
    }
    // Real note names are a few bytes ("CORE", "VMCOREINFO", "QEMU"); a longer one is
    // skipped unread rather than allocated.
    std::string name(*namesz <= 64 ? *namesz : 0, '\0');
    if (!name.empty()) {
      auto r = src.read(name_off, std::span<uint8_t>(reinterpret_cast<uint8_t*>(name.data()), name.size()), "note name");
      if (!r) return r;
    }
    while (!name.empty() && name.back() == '\0') name.pop_back();
    if (name == "CORE" && *type == 1 /* NT_PRSTATUS */) {
      out.prstatus.push_back({desc_off, *descsz});
    } else if (name == "VMCOREINFO") {
      if (*descsz > kMaxVmcoreinfo) {
        return std::unexpected(Error{ErrorCode::Corrupt,
                                     fmt::format("VMCOREINFO note at {:#x}: {} bytes, expected at most {}", pos,
                                                 *descsz, kMaxVmcoreinfo),
                                     src.name(), pos, {}});
      }
      if (!out.vmcoreinfo) {
        std::string text(*descsz, '\0');
        auto r = src.read(desc_off, std::span<uint8_t>(reinterpret_cast<uint8_t*>(text.data()), text.size()),
                          "VMCOREINFO note");
        if (!r) return r;
        out.vmcoreinfo = Vmcoreinfo::parse(text);
      }
    } else {
      if (name == "QEMU") out.qemu_notes = true;
      out.others.emplace_back(name, *type);
    }
    pos = next;
  }
  return {};
}

Arch arch_from_prstatus(const NoteSet& notes) {
  for (const auto& p : notes.prstatus) {
    if (p.desc_size == kPrstatusSizeX86_64) return Arch::X86_64;
    if (p.desc_size == kPrstatusSizeArm64) return Arch::Arm64;
  }
  return Arch::Unknown;
}

Arch arch_from_vmcoreinfo(const Vmcoreinfo& vi) {
  if (vi.number_u64("kimage_voffset") || vi.number_u64("VA_BITS") || vi.number_u64("TCR_EL1_T1SZ")) return Arch::Arm64;
  if (vi.number_u64("phys_base") || vi.symbol("init_top_pgt") || vi.number_u64("pgtable_l5_enabled"))
    return Arch::X86_64;
  return Arch::Unknown;
}

std::vector<PrStatus> decode_prstatus(const ByteSource& src, const NoteSet& notes, Arch arch,
                                      std::vector<std::string>& warnings) {
  std::vector<PrStatus> cpus;
  size_t nregs = prstatus_register_names(arch).size();
  for (size_t i = 0; i < notes.prstatus.size(); ++i) {
    const auto& raw = notes.prstatus[i];
    PrStatus p;
    p.cpu = static_cast<int>(i);
    p.note_offset = raw.desc_offset;
    if (raw.desc_size >= kPrstatusPidOffset + 4) {
      if (auto pid = src.u32(raw.desc_offset + kPrstatusPidOffset, "pr_pid")) p.pid = *pid;
    }
    if (nregs && raw.desc_size >= kPrstatusRegOffset + nregs * 8) {
      for (size_t r = 0; r < nregs; ++r) {
        auto w = src.u64(raw.desc_offset + kPrstatusRegOffset + r * 8, "pr_reg");
        if (!w) break;
        p.regs.push_back(*w);
      }
    } else {
      warnings.push_back(fmt::format("PRSTATUS note {} at {:#x}: {} bytes, too short for {} registers", i,
                                     raw.desc_offset, raw.desc_size, arch_name(arch)));
    }
    cpus.push_back(std::move(p));
  }
  return cpus;
}

void decide_cpus(std::vector<PrStatus>& cpus, bool qemu, std::optional<CrashedCpu>& crashed) {
  // QEMU writes vCPU numbers 1..n as pids. Seeing exactly 1..n on two or more CPUs is
  // also taken as QEMU's, since a kernel never runs pid 1, 2, ... n on CPUs 0..n-1 by chance.
  bool sequential = cpus.size() >= 2;
  for (size_t i = 0; i < cpus.size() && sequential; ++i) sequential = cpus[i].pid == i + 1;
  bool vcpu = qemu || sequential;
  for (auto& c : cpus) c.pid_is_vcpu = vcpu;
  crashed.reset();
  if (cpus.empty()) return;
  if (cpus.size() == 1) {
    crashed = CrashedCpu{0, "the dump has one CPU"};
    return;
  }
  if (vcpu) return;  // QEMU stopped every vCPU at once: nothing in the notes marks one
  // The kernel saves every CPU; the others were stopped by NMI/IPI, typically in the idle
  // task (pid 0). One busy CPU is the crashing one; several busy ones need symbols.
  int busy = -1, n_busy = 0;
  for (const auto& c : cpus) {
    if (c.pid != 0) {
      busy = c.cpu;
      ++n_busy;
    }
  }
  if (n_busy == 1) crashed = CrashedCpu{busy, "the only CPU not running the idle task (pid 0)"};
}

}  // namespace kdx::dump

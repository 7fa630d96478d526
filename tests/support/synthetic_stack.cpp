// Test builders for unwinding: fake memory, ORC byte writers, a tiny ELF writer, pt_regs bytes.
#include "support/synthetic_stack.hpp"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstring>

namespace kdx::test {

void FakeMemory::write(uint64_t addr, std::span<const uint8_t> bytes) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    uint64_t a = addr + i;
    auto [it, inserted] = pages_.try_emplace(a & ~uint64_t{4095});
    if (inserted) it->second.fill(0);
    it->second[a & 4095] = bytes[i];
  }
}

void FakeMemory::write_u64(uint64_t addr, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  write(addr, b);
}

void FakeMemory::map_zero(uint64_t begin, uint64_t end) {
  for (uint64_t p = begin & ~uint64_t{4095}; p < end; p += 4096) {
    auto [it, inserted] = pages_.try_emplace(p);
    if (inserted) it->second.fill(0);
  }
}

Result<void> FakeMemory::read_virt(uint64_t vaddr, std::span<uint8_t> out) {
  for (size_t i = 0; i < out.size(); ++i) {
    uint64_t a = vaddr + i;
    auto it = pages_.find(a & ~uint64_t{4095});
    if (it == pages_.end()) return error_at_address(ErrorCode::NotPresent, a, "page not in fake memory");
    out[i] = it->second[a & 4095];
  }
  return {};
}

static void put16(std::vector<uint8_t>& v, unsigned x) {
  v.push_back(static_cast<uint8_t>(x));
  v.push_back(static_cast<uint8_t>(x >> 8));
}

static void put_ips(SynthOrcSections& s, const std::vector<SynthOrcRow>& rows) {
  for (size_t i = 0; i < rows.size(); ++i) {
    uint64_t slot = s.ip_section_addr + 4 * i;
    auto rel = static_cast<uint32_t>(static_cast<int32_t>(static_cast<int64_t>(rows[i].ip - slot)));
    for (int b = 0; b < 4; ++b) s.ip_bytes.push_back(static_cast<uint8_t>(rel >> (8 * b)));
  }
}

SynthOrcSections write_orc_v1(uint64_t ip_section_addr, const std::vector<SynthOrcRow>& rows) {
  SynthOrcSections s;
  s.ip_section_addr = ip_section_addr;
  put_ips(s, rows);
  for (const auto& r : rows) {
    put16(s.orc_bytes, static_cast<uint16_t>(r.sp_offset));
    put16(s.orc_bytes, static_cast<uint16_t>(r.bp_offset));
    // 6.1 little-endian bitfields: sp_reg:4, bp_reg:4, type:2, end:1
    unsigned flags = (r.sp_reg & 15) | ((r.bp_reg & 15) << 4) | ((r.type & 3) << 8) | ((r.end ? 1u : 0u) << 10);
    put16(s.orc_bytes, flags);
  }
  return s;
}

SynthOrcSections write_orc_v3(uint64_t ip_section_addr, const std::vector<SynthOrcRow>& rows) {
  SynthOrcSections s;
  s.ip_section_addr = ip_section_addr;
  put_ips(s, rows);
  for (const auto& r : rows) {
    put16(s.orc_bytes, static_cast<uint16_t>(r.sp_offset));
    put16(s.orc_bytes, static_cast<uint16_t>(r.bp_offset));
    // 6.4+ bitfields: sp_reg:4, bp_reg:4, type:3, signal:1
    unsigned flags = (r.sp_reg & 15) | ((r.bp_reg & 15) << 4) | ((r.type & 7) << 8) | ((r.signal ? 1u : 0u) << 11);
    put16(s.orc_bytes, flags);
  }
  return s;
}

bool write_orc_elf(const std::string& path, const SynthOrcSections& s, std::span<const uint8_t> orc_header,
                   bool relocatable) {
  elf_version(EV_CURRENT);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return false;
  Elf* e = elf_begin(fd, ELF_C_WRITE, nullptr);
  bool ok = false;
  if (e) {
    Elf64_Ehdr* eh = elf64_newehdr(e);
    if (eh) {
      eh->e_ident[EI_DATA] = ELFDATA2LSB;
      eh->e_machine = EM_X86_64;
      eh->e_type = relocatable ? ET_REL : ET_EXEC;
      eh->e_version = EV_CURRENT;
      std::string names = std::string("\0.orc_unwind_ip\0.orc_unwind\0.orc_header\0.shstrtab\0", 50);
      std::vector<uint8_t> ip = s.ip_bytes, orc = s.orc_bytes;
      std::vector<uint8_t> hdr(orc_header.begin(), orc_header.end());
      auto add = [&](size_t name_off, std::vector<uint8_t>& data, uint64_t addr, uint32_t type) -> Elf_Scn* {
        Elf_Scn* scn = elf_newscn(e);
        if (!scn) return nullptr;
        Elf_Data* d = elf_newdata(scn);
        if (!d) return nullptr;
        d->d_align = 1;
        d->d_buf = data.data();
        d->d_size = data.size();
        d->d_type = ELF_T_BYTE;
        d->d_version = EV_CURRENT;
        Elf64_Shdr* sh = elf64_getshdr(scn);
        if (!sh) return nullptr;
        sh->sh_name = static_cast<uint32_t>(name_off);
        sh->sh_type = type;
        sh->sh_flags = type == SHT_STRTAB ? 0 : SHF_ALLOC;
        sh->sh_addr = addr;
        return scn;
      };
      std::vector<uint8_t> strtab(names.begin(), names.end());
      bool good = add(1, ip, s.ip_section_addr, SHT_PROGBITS) && add(16, orc, 0, SHT_PROGBITS);
      if (good && !hdr.empty()) good = add(28, hdr, 0, SHT_PROGBITS) != nullptr;
      Elf_Scn* str = good ? add(40, strtab, 0, SHT_STRTAB) : nullptr;
      if (str) {
        eh->e_shstrndx = static_cast<uint16_t>(elf_ndxscn(str));
        ok = elf_update(e, ELF_C_WRITE) >= 0;
      }
    }
    elf_end(e);
  }
  ::close(fd);
  return ok;
}

static void put64(std::vector<uint8_t>& v, uint64_t x) {
  for (int i = 0; i < 8; ++i) v.push_back(static_cast<uint8_t>(x >> (8 * i)));
}

std::vector<uint8_t> x86_pt_regs_bytes(const SynthX86Regs& r) {
  std::vector<uint8_t> v;
  for (uint64_t x : {r.r15, r.r14, r.r13, r.r12, r.bp, r.bx, r.r11, r.r10, r.r9, r.r8, r.ax, r.cx, r.dx, r.si, r.di,
                     r.orig_ax, r.ip, r.cs, r.flags, r.sp, r.ss})
    put64(v, x);
  return v;
}

std::vector<uint8_t> arm64_pt_regs_bytes(const SynthArm64Regs& r) {
  std::vector<uint8_t> v;
  for (uint64_t x : r.x) put64(v, x);
  put64(v, r.sp);
  put64(v, r.pc);
  put64(v, r.pstate);
  put64(v, 0);  // orig_x0
  put64(v, 0);  // syscallno + unused2
  put64(v, 0);  // sdei_ttbr1
  put64(v, 0);  // pmr_save
  put64(v, r.stackframe_fp);
  put64(v, r.stackframe_lr);
  put64(v, 0);  // lockdep_hardirqs
  put64(v, 0);  // exit_rcu
  return v;
}

}  // namespace kdx::test

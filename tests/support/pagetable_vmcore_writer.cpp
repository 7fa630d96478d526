// Test support: ELF64 ET_CORE writer for synthetic page-table machines (independent of src/dump's reader).
#include "support/pagetable_vmcore_writer.hpp"

#include <elf.h>

#include <cstring>
#include <fstream>

namespace kdx::pagetable_test {

bool write_pagetable_vmcore(const FakePhysMemory& mem, uint16_t e_machine, const std::string& vmcoreinfo,
                            const std::vector<VmcoreSegment>& segments, const std::string& path) {
  std::vector<uint8_t> note;
  auto put32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) note.push_back(uint8_t(v >> (8 * i)));
  };
  const char name[] = "VMCOREINFO";
  put32(sizeof name);
  put32(uint32_t(vmcoreinfo.size()));
  put32(0);
  note.insert(note.end(), name, name + sizeof name);
  while (note.size() % 4) note.push_back(0);
  note.insert(note.end(), vmcoreinfo.begin(), vmcoreinfo.end());
  while (note.size() % 4) note.push_back(0);

  const size_t nph = 1 + segments.size();
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_CORE;
  eh.e_machine = e_machine;
  eh.e_version = EV_CURRENT;
  eh.e_phoff = sizeof eh;
  eh.e_ehsize = sizeof eh;
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = uint16_t(nph);
  const uint64_t note_off = sizeof eh + nph * sizeof(Elf64_Phdr);
  uint64_t off = (note_off + note.size() + 4095) & ~4095ULL;
  std::vector<Elf64_Phdr> ph(nph);
  ph[0].p_type = PT_NOTE;
  ph[0].p_offset = note_off;
  ph[0].p_filesz = ph[0].p_memsz = note.size();
  for (size_t i = 0; i < segments.size(); ++i) {
    Elf64_Phdr& p = ph[i + 1];
    p.p_type = PT_LOAD;
    p.p_flags = PF_R | PF_W | PF_X;
    p.p_offset = off;
    p.p_vaddr = segments[i].vaddr;
    p.p_paddr = segments[i].paddr;
    p.p_filesz = p.p_memsz = segments[i].size;
    p.p_align = 4096;
    off += segments[i].size;
  }
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(&eh), sizeof eh);
  f.write(reinterpret_cast<const char*>(ph.data()), std::streamsize(ph.size() * sizeof(Elf64_Phdr)));
  f.write(reinterpret_cast<const char*>(note.data()), std::streamsize(note.size()));
  std::vector<char> pad(ph.size() > 1 ? ph[1].p_offset - note_off - note.size() : 0, 0);
  f.write(pad.data(), std::streamsize(pad.size()));
  std::vector<uint8_t> page(4096);
  for (const VmcoreSegment& s : segments) {
    for (uint64_t pa = s.paddr; pa < s.paddr + s.size; pa += 4096) {
      for (int i = 0; i < 4096; i += 8) {
        uint64_t v = mem.read_u64(pa + i);
        for (int b = 0; b < 8; ++b) page[i + b] = uint8_t(v >> (8 * b));
      }
      f.write(reinterpret_cast<const char*>(page.data()), 4096);
    }
  }
  return bool(f);
}

}  // namespace kdx::pagetable_test

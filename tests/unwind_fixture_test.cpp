// ORC loading on the real Linux 6.1 x86_64 fixture vmlinux (skipped when the fixture is absent).
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>

#include <gtest/gtest.h>

#include "kdx/unwind/orc_table.hpp"
#include "support/paths.hpp"

using namespace kdx::unwind;

namespace {

// testdata/x86_64/vmlinux, or testdata/x86_64/vmlinux.xz decompressed once into the build
// tree; KDX_X86_64_VMLINUX overrides both.
std::string fixture_vmlinux() {
  if (const char* env = std::getenv("KDX_X86_64_VMLINUX"); env && kdx::test::file_exists(env)) return env;
  std::string plain = kdx::test::testdata_path("x86_64/vmlinux");
  if (kdx::test::file_exists(plain)) return plain;
  std::string xz = kdx::test::testdata_path("x86_64/vmlinux.xz");
  if (!kdx::test::file_exists(xz)) return "";
  std::string out = std::string(KDX_BINARY_DIR) + "/unwind-fixture-vmlinux-x86_64";
  if (!kdx::test::file_exists(out)) {
    std::string cmd = "xz -dc '" + xz + "' > '" + out + ".tmp' && mv '" + out + ".tmp' '" + out + "'";
    if (std::system(cmd.c_str()) != 0) return "";
  }
  return out;
}

// What the test needs from the ELF, read here independently of the loader.
struct ElfFacts {
  uint64_t ip_bytes = 0, orc_bytes = 0;
  bool has_orc_header = false;
  std::map<std::string, uint64_t> funcs;  // STT_FUNC symbols by name
};

ElfFacts read_facts(const std::string& path) {
  ElfFacts f;
  elf_version(EV_CURRENT);
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return f;
  Elf* e = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  size_t shstrndx = 0;
  if (e && elf_getshdrstrndx(e, &shstrndx) == 0) {
    for (Elf_Scn* scn = elf_nextscn(e, nullptr); scn; scn = elf_nextscn(e, scn)) {
      GElf_Shdr sh;
      if (!gelf_getshdr(scn, &sh)) continue;
      const char* name = elf_strptr(e, shstrndx, sh.sh_name);
      if (!name) continue;
      if (!std::strcmp(name, ".orc_unwind_ip")) f.ip_bytes = sh.sh_size;
      if (!std::strcmp(name, ".orc_unwind")) f.orc_bytes = sh.sh_size;
      if (!std::strcmp(name, ".orc_header")) f.has_orc_header = true;
      if (sh.sh_type == SHT_SYMTAB) {
        Elf_Data* d = elf_getdata(scn, nullptr);
        size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
        for (size_t i = 0; d && i < n; ++i) {
          GElf_Sym sym;
          if (!gelf_getsym(d, static_cast<int>(i), &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC) continue;
          const char* sname = elf_strptr(e, sh.sh_link, sym.st_name);
          if (sname) f.funcs.emplace(sname, sym.st_value);
        }
      }
    }
  }
  if (e) elf_end(e);
  ::close(fd);
  return f;
}

}  // namespace

TEST(UnwindFixture, LoadsRealOrcTablesOfLinux61) {
  std::string path = fixture_vmlinux();
  if (path.empty()) GTEST_SKIP() << "fixture testdata/x86_64/vmlinux(.xz) not present";
  ElfFacts facts = read_facts(path);
  ASSERT_GT(facts.ip_bytes, 0u) << "fixture has no .orc_unwind_ip";
  EXPECT_FALSE(facts.has_orc_header) << "6.1 predates .orc_header";

  auto t = OrcTable::from_elf(path, 0, *orc_format_for_release("6.1"));
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(t->format(), OrcFormat::V1);
  EXPECT_EQ(t->size(), facts.ip_bytes / 4);
  EXPECT_EQ(t->size(), facts.orc_bytes / 6);
  RecordProperty("orc_entries", std::to_string(t->size()));

  // Every ordinary C function starts with the return address on top of the stack:
  // sp_reg SP, sp_offset 8, type CALL. A wrong bitfield layout would break this.
  int checked = 0;
  for (const char* fn : {"panic", "schedule", "do_exit", "kthread", "vfs_read", "kmem_cache_alloc"}) {
    auto it = facts.funcs.find(fn);
    if (it == facts.funcs.end()) continue;
    auto e = t->find(it->second);
    ASSERT_TRUE(e) << fn;
    EXPECT_EQ(e->sp_reg, OrcReg::Sp) << fn;
    EXPECT_EQ(e->sp_offset, 8) << fn;
    EXPECT_EQ(e->type, OrcType::Call) << fn;
    ++checked;
  }
  EXPECT_GE(checked, 3);

  // Entry code has pt_regs entries, ret_from_fork an end-of-stack one; most are CALL.
  std::map<OrcType, size_t> by_type;
  for (size_t i = 0; i < t->size(); ++i) by_type[t->entry(i).type]++;
  EXPECT_GT(by_type[OrcType::Call], t->size() * 9 / 10);
  EXPECT_GT(by_type[OrcType::Regs], 0u);
  EXPECT_GT(by_type[OrcType::RegsPartial], 0u);
  EXPECT_GT(by_type[OrcType::EndOfStack], 0u);
  if (auto rff = facts.funcs.find("ret_from_fork"); rff != facts.funcs.end()) {
    // Somewhere inside ret_from_fork the unwind hint marks the outermost frame.
    bool found_end = false;
    for (uint64_t ip = rff->second; ip < rff->second + 0x80 && !found_end; ++ip) {
      auto e = t->find(ip);
      found_end = e && e->type == OrcType::EndOfStack;
    }
    EXPECT_TRUE(found_end);
  }

  // A KASLR offset shifts every ip.
  const uint64_t kaslr = 0x2a000000;
  auto shifted = OrcTable::from_elf(path, kaslr, OrcFormat::V1);
  ASSERT_TRUE(shifted);
  EXPECT_EQ(shifted->min_ip(), t->min_ip() + kaslr);
  if (auto p = facts.funcs.find("panic"); p != facts.funcs.end()) {
    EXPECT_EQ(shifted->find(p->second + kaslr)->sp_offset, 8);
  }
}

// Tests of the module-list reader on synthetic memory, for the core_layout and mem[] layouts.
#include <gtest/gtest.h>

#include <cstring>

#include "kdx/kernel/modules.hpp"
#include "support/fake_virt_memory.hpp"

using namespace kdx;
using namespace kdx::kernel;

namespace {
constexpr uint64_t kHead = 0xffffffff82300000, kMod = 0xffffffffc0002000, kKs = 0xffffffffc0003000,
                   kSym = 0xffffffffc0004000, kStr = 0xffffffffc0005000, kText = 0xffffffffc0000000;

void base_world(test::FakeVirtMemory& mem, TableLayout& L) {
  L.symbols = {{"modules", kHead}};
  L.offsets = {{"module.list", 0x8}, {"module.name", 0x18}, {"module.kallsyms", 0x60},
               {"mod_kallsyms.symtab", 0}, {"mod_kallsyms.num_symtab", 8}, {"mod_kallsyms.strtab", 16}};
  mem.fill(kMod, 0x100);
  mem.put<uint64_t>(kHead, kMod + 0x8);
  mem.put<uint64_t>(kMod + 0x8, kHead);
  mem.write(kMod + 0x18, "kdxcrash\0", 9);
  mem.put<uint64_t>(kMod + 0x60, kKs);
  mem.put<uint64_t>(kKs, kSym);
  mem.put<uint32_t>(kKs + 8, 3);
  mem.put<uint64_t>(kKs + 16, kStr);
  mem.write(kStr, "\0kdx_null\0kdx_init\0", 19);
  mem.fill(kSym, 24 * 3);
  auto sym = [&](int i, uint32_t name, uint64_t value, uint64_t size) {
    mem.put<uint32_t>(kSym + i * 24, name);
    mem.put<uint64_t>(kSym + i * 24 + 8, value);
    mem.put<uint64_t>(kSym + i * 24 + 16, size);
  };
  sym(1, 1, kText + 0x40, 0x30);
  sym(2, 10, kText + 0x10, 0x20);
}
}  // namespace

TEST(Modules, CoreLayoutAndKallsyms) {
  test::FakeVirtMemory mem;
  TableLayout L;
  base_world(mem, L);
  L.offsets["module.core_layout"] = 0x80;
  L.offsets["module_layout.base"] = 0;
  L.offsets["module_layout.size"] = 8;
  L.offsets["module_layout.text_size"] = 12;
  mem.put<uint64_t>(kMod + 0x80, kText);
  mem.put<uint32_t>(kMod + 0x88, 0x2000);
  mem.put<uint32_t>(kMod + 0x8c, 0x1000);
  std::vector<std::string> notes;
  auto mods = list_modules(mem, L, notes);
  ASSERT_TRUE(mods) << mods.error().to_string();
  ASSERT_EQ(mods->size(), 1u);
  const auto& m = (*mods)[0];
  EXPECT_EQ(m.name, "kdxcrash");
  EXPECT_EQ(m.layout, "core_layout");
  EXPECT_EQ(m.base, kText);
  EXPECT_EQ(m.size, 0x2000u);
  ASSERT_EQ(m.symbols.size(), 2u);
  EXPECT_EQ(m.symbols[0].name, "kdx_init");  // sorted by address
  EXPECT_EQ(module_for_address(*mods, kText + 0x44), &m);
  EXPECT_EQ(module_for_address(*mods, kText + 0x3000), nullptr);
  const ModuleSymbol* s = module_symbol_for_address(m, kText + 0x44);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->name, "kdx_null");
  EXPECT_EQ(module_symbol_for_address(m, kText + 0x35), nullptr);  // past kdx_init's size, before kdx_null
}

TEST(Modules, MemArrayLayout) {
  test::FakeVirtMemory mem;
  TableLayout L;
  base_world(mem, L);
  L.offsets["module.mem"] = 0xa0;
  L.offsets["module_memory.base"] = 0;
  L.offsets["module_memory.size"] = 8;
  mem.put<uint64_t>(kMod + 0xa0, kText);
  mem.put<uint32_t>(kMod + 0xa8, 0x3000);
  std::vector<std::string> notes;
  auto mods = list_modules(mem, L, notes);
  ASSERT_TRUE(mods);
  EXPECT_EQ((*mods)[0].layout, "mem[]");
  EXPECT_EQ((*mods)[0].size, 0x3000u);
}

TEST(Modules, BrokenLinkEndsWalkWithNote) {
  test::FakeVirtMemory mem;
  TableLayout L;
  base_world(mem, L);
  mem.put<uint64_t>(kMod + 0x8, 0xffffffffc0ff0000);  // next points nowhere
  std::vector<std::string> notes;
  auto mods = list_modules(mem, L, notes);
  ASSERT_TRUE(mods);
  EXPECT_EQ(mods->size(), 1u);
  EXPECT_FALSE(notes.empty());
}

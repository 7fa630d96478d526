// vtop text (crash-like, checked against seed 003's crash output) and the JSON keys scripts rely on.
#include <gtest/gtest.h>

#include "kdx/arch/arch_backend.hpp"
#include "kdx/memory/translation_format.hpp"
#include "support/pagetable_fake_phys.hpp"

using namespace kdx;
using kdx::pagetable_test::FakePhysMemory;

namespace {
Translation seed003(FakePhysMemory& mem, uint64_t vaddr) {
  mem.write_u64(0x77222ff8, 0x3fc0e067);
  mem.write_u64(0x3fc0eff0, 0x3fc0f063);
  mem.write_u64(0x3fc0fa98, 0x34367063);
  mem.write_u64(0x34367780, 0x800000003faf0061ULL);
  TranslationConfig c;
  c.root = 0x77222000;
  return find_arch("x86_64")->make_walker(c, mem)->explain(vaddr);
}
}  // namespace

TEST(MemoryTranslationFormat, TextHasCrashsLines) {
  FakePhysMemory mem;
  std::string s = format_translation_text(seed003(mem, 0xffffffffaa6f0210ULL));
  // Lines as crash printed them in seed 003 (crash's first line names the PGD entry differently).
  EXPECT_NE(s.find("ffffffffaa6f0210  3faf0210\n"), std::string::npos) << s;
  EXPECT_NE(s.find("   PUD: 3fc0eff0 => 3fc0f063\n"), std::string::npos) << s;
  EXPECT_NE(s.find("   PMD: 3fc0fa98 => 34367063\n"), std::string::npos) << s;
  EXPECT_NE(s.find("   PTE: 34367780 => 800000003faf0061\n"), std::string::npos) << s;
  EXPECT_NE(s.find("  PAGE: 3faf0000"), std::string::npos) << s;
  EXPECT_NE(s.find("800000003faf0061  3faf0000  (PRESENT|ACCESSED|DIRTY|NX)"), std::string::npos) << s;
  EXPECT_NE(s.find("REGION: kernel image"), std::string::npos) << s;
}

TEST(MemoryTranslationFormat, TextSaysWhereTheWalkStopped) {
  FakePhysMemory mem;
  std::string s = format_translation_text(seed003(mem, 0xffffffffaa6f1210ULL));
  EXPECT_NE(s.find("(not mapped)"), std::string::npos) << s;
  EXPECT_NE(s.find("STOPPED: PTE entry 0x0 at 0x34367788"), std::string::npos) << s;
  EXPECT_NE(s.find("not present"), std::string::npos) << s;
}

TEST(MemoryTranslationFormat, JsonKeysAndValues) {
  FakePhysMemory mem;
  nlohmann::json j = translation_to_json(seed003(mem, 0xffffffffaa6f0210ULL));
  std::vector<std::string> keys;
  for (auto& [k, v] : j.items()) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"error", "flags", "levels", "paddr", "page_size", "region", "vaddr"}));
  EXPECT_EQ(j["vaddr"], "0xffffffffaa6f0210");
  EXPECT_EQ(j["paddr"], "0x3faf0210");
  EXPECT_EQ(j["page_size"], 4096);
  ASSERT_EQ(j["levels"].size(), 4u);
  EXPECT_EQ(j["levels"][0]["name"], "PGD");
  EXPECT_EQ(j["levels"][0]["table"], "0x77222000");
  EXPECT_EQ(j["levels"][0]["entry"], "0x3fc0e067");
  EXPECT_EQ(j["levels"][3]["entry"], "0x800000003faf0061");
  EXPECT_EQ(j["levels"][3]["table"], "0x34367000");
  EXPECT_EQ(j["flags"], nlohmann::json({"PRESENT", "ACCESSED", "DIRTY", "NX"}));
  EXPECT_TRUE(j["error"].is_null());

  nlohmann::json u = translation_to_json(seed003(mem, 0xdead000000000100ULL));
  EXPECT_TRUE(u["paddr"].is_null());
  EXPECT_EQ(u["page_size"], 0);
  EXPECT_TRUE(u["levels"].empty());
  EXPECT_EQ(u["region"], "non-canonical");
  ASSERT_TRUE(u["error"].is_string());
}

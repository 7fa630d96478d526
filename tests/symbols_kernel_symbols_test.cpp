// KernelSymbols on small -gdwarf-4/-gdwarf-5 programs: symbols, KASLR, lines, inline chains, types, modules.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "kdx/symbols/kaslr.hpp"
#include "kdx/symbols/kernel_match.hpp"
#include "kdx/symbols/kernel_symbols.hpp"
#include "support/paths.hpp"

using kdx::ErrorCode;
using kdx::symbols::KernelSymbols;

namespace {

std::string sh(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// nm's view of a symbol: value and size, an oracle independent of libdwfl.
std::pair<uint64_t, uint64_t> nm_symbol(const std::string& file, const std::string& name) {
  std::istringstream in(sh("nm -S " + file));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string v, s, t, n;
    ls >> v >> s >> t >> n;
    if (n.empty()) {  // no size column
      n = t;
      s = "0";
    }
    if (n == name) return {std::stoull(v, nullptr, 16), std::stoull(s, nullptr, 16)};
  }
  return {0, 0};
}

// The fixture prints offsetof/sizeof computed by the compiler: "offset TYPE MEMBER N", "size TYPE N".
std::map<std::string, uint64_t> compiler_layout(const std::string& exe) {
  std::map<std::string, uint64_t> m;
  std::istringstream in(sh(exe + " dump"));
  std::string line;
  while (std::getline(in, line)) {
    size_t sp = line.rfind(' ');
    m[line.substr(0, sp)] = std::stoull(line.substr(sp + 1));
  }
  return m;
}

int source_line_of(const std::string& marker) {
  std::ifstream f(std::string(KDX_SYM_DATA_DIR) + "/fixture.c");
  std::string line;
  for (int n = 1; std::getline(f, line); ++n)
    if (line.find("/* " + marker + " */") != std::string::npos) return n;
  return -1;
}

class SymbolsFixture : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    exe_ = GetParam();
    auto ks = KernelSymbols::open(exe_);
    ASSERT_TRUE(ks) << ks.error().to_string();
    ks_ = std::move(*ks);
  }
  std::string exe_;
  std::unique_ptr<KernelSymbols> ks_;
};

TEST_P(SymbolsFixture, SymbolAddressAndSizeMatchNm) {
  auto [addr, size] = nm_symbol(exe_, "fixture_function");
  ASSERT_NE(addr, 0u);
  auto hit = ks_->lookup_symbol("fixture_function");
  ASSERT_TRUE(hit) << hit.error().to_string();
  EXPECT_EQ(hit->address, addr);
  EXPECT_EQ(hit->size, size);
  EXPECT_FALSE(hit->module.has_value());
  auto back = ks_->symbolize(addr + 5);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->name, "fixture_function");
  EXPECT_EQ(back->offset, 5u);
  EXPECT_EQ(back->size, size);
  EXPECT_FALSE(ks_->symbol_address("no_such_symbol_anywhere"));
}

TEST_P(SymbolsFixture, KaslrOffsetShiftsBothDirections) {
  auto [addr, size] = nm_symbol(exe_, "fixture_outer");
  const uint64_t slide = 0x2a00000;
  ks_->set_kaslr_offset(slide);
  EXPECT_EQ(ks_->symbol_address("fixture_outer").value_or(0), addr + slide);
  auto hit = ks_->symbolize(addr + slide + 2);
  ASSERT_TRUE(hit) << hit.error().to_string();
  EXPECT_EQ(hit->name, "fixture_outer");
  EXPECT_EQ(hit->offset, 2u);
  // The link-time address no longer belongs to the kernel once it has moved.
  auto stale = ks_->symbolize(addr + 2);
  EXPECT_TRUE(!stale || stale->name != "fixture_outer");
  auto info = ks_->address_info(addr + slide);
  ASSERT_TRUE(info && info->source);
  EXPECT_NE(info->source->file.find("fixture.c"), std::string::npos);
}

TEST_P(SymbolsFixture, KaslrOffsetFoundFromVmcoreinfoAndCrossChecked) {
  using kdx::symbols::find_kaslr_offset;
  auto [f, fs] = nm_symbol(exe_, "fixture_function");
  auto [o, os] = nm_symbol(exe_, "fixture_outer");
  const uint64_t slide = 0x1e000000;
  auto d = find_kaslr_offset(*ks_, std::nullopt, {{"fixture_function", f + slide}, {"fixture_outer", o + slide}});
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(d->offset, slide);
  EXPECT_NE(d->how.find("derived"), std::string::npos) << d->how;
  auto k = find_kaslr_offset(*ks_, slide, {{"fixture_function", f + slide}});
  ASSERT_TRUE(k);
  EXPECT_NE(k->how.find("KERNELOFFSET"), std::string::npos);
  auto bad = find_kaslr_offset(*ks_, slide + 0x200000, {{"fixture_function", f + slide}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::Mismatch);
  auto split = find_kaslr_offset(*ks_, std::nullopt, {{"fixture_function", f + slide}, {"fixture_outer", o}});
  ASSERT_FALSE(split);
  EXPECT_EQ(split.error().code, ErrorCode::Mismatch);
  EXPECT_FALSE(find_kaslr_offset(*ks_, std::nullopt, {{"not_in_this_kernel", 1}}));
}

TEST_P(SymbolsFixture, LineOfFunctionBody) {
  auto [addr, size] = nm_symbol(exe_, "fixture_function");
  // Some instruction of the function maps to the body line.
  bool found = false;
  for (uint64_t a = addr; a < addr + size && !found; ++a) {
    auto info = ks_->address_info(a);
    ASSERT_TRUE(info) << info.error().to_string();
    if (info->source && info->source->line == source_line_of("L_FUNCTION_BODY")) found = true;
  }
  EXPECT_TRUE(found) << "no address of fixture_function maps to line " << source_line_of("L_FUNCTION_BODY");
}

TEST_P(SymbolsFixture, LinesAgreeWithGdbInfoLine) {
  if (sh("command -v gdb").empty()) GTEST_SKIP() << "gdb not installed";
  std::string cmds;
  std::vector<uint64_t> addrs;
  for (const char* fn : {"fixture_function", "fixture_outer", "main"}) {
    auto [addr, size] = nm_symbol(exe_, fn);
    for (uint64_t a = addr; a < addr + size; a += 3) {
      addrs.push_back(a);
      cmds += fmt::format(" -ex 'info line *{:#x}'", a);
    }
  }
  std::istringstream gdb(sh("gdb -nx -batch" + cmds + " " + exe_ + " 2>/dev/null"));
  std::string line;
  size_t i = 0, compared = 0;
  while (std::getline(gdb, line) && i < addrs.size()) {
    if (line.rfind("Line ", 0) == 0) {
      auto info = ks_->address_info(addrs[i]);
      ASSERT_TRUE(info && info->source) << std::hex << addrs[i];
      EXPECT_EQ(info->source->line, std::stoi(line.substr(5))) << std::hex << addrs[i] << ": " << line;
      ++compared;
    }
    if (line.rfind("Line ", 0) == 0 || line.rfind("No line", 0) == 0) ++i;
  }
  EXPECT_GT(compared, 10u);
}

TEST_P(SymbolsFixture, InlineChainOutermostLast) {
  auto marker = ks_->symbol_address("fixture_inline_marker");
  ASSERT_TRUE(marker) << marker.error().to_string();
  auto info = ks_->address_info(*marker);
  ASSERT_TRUE(info && info->source) << "no line info at the inline marker";
  EXPECT_EQ(info->source->line, source_line_of("L_INNER"));
  const auto& chain = info->source->inlined;
  ASSERT_EQ(chain.size(), 3u);
  EXPECT_EQ(chain[0].function, "fixture_inner");
  EXPECT_EQ(chain[0].line, source_line_of("L_INNER"));
  EXPECT_EQ(chain[1].function, "fixture_middle");
  EXPECT_EQ(chain[1].line, source_line_of("L_CALL_INNER"));
  EXPECT_EQ(chain[2].function, "fixture_outer");
  EXPECT_EQ(chain[2].line, source_line_of("L_CALL_MIDDLE"));
  EXPECT_NE(chain[2].file.find("fixture.c"), std::string::npos);
}

TEST_P(SymbolsFixture, MemberOffsetsAndSizesMatchTheCompiler) {
  auto expected = compiler_layout(exe_);
  ASSERT_GT(expected.size(), 20u);
  int checked = 0;
  for (auto& [key, value] : expected) {
    std::istringstream ks(key);
    std::string what, kw, tname, member;
    ks >> what >> kw;
    if (kw == "struct" || kw == "union") ks >> tname;
    else tname = kw, kw.clear();
    std::string type = kw.empty() ? tname : kw + " " + tname;
    if (what == "offset") {
      ks >> member;
      auto off = ks_->member_offset(type, member);
      ASSERT_TRUE(off) << key << ": " << off.error().to_string();
      EXPECT_EQ(*off, value) << key;
    } else {
      auto sz = ks_->type_size(type);
      ASSERT_TRUE(sz) << key << ": " << sz.error().to_string();
      EXPECT_EQ(*sz, value) << key;
    }
    ++checked;
  }
  EXPECT_GT(checked, 30);
}

TEST_P(SymbolsFixture, MemberInfoForBitfieldsAndTypes) {
  auto a = ks_->member_info("fixture_plain", "bit_a");
  auto b = ks_->member_info("fixture_plain", "bit_b");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->bit_size, 3u);
  EXPECT_EQ(b->bit_size, 5u);
  EXPECT_EQ(b->bit_offset, a->bit_offset + 3);
  auto comm = ks_->member_info("struct fixture_plain", "comm");
  ASSERT_TRUE(comm);
  EXPECT_EQ(comm->type_name, "char [16]");
  EXPECT_EQ(comm->size, 16u);
  auto cb = ks_->member_info("fixture_plain", "callback");
  ASSERT_TRUE(cb);
  EXPECT_EQ(cb->type_name, "void (*)(struct fixture_plain *, int)");
  auto missing = ks_->member_offset("fixture_plain", "nonexistent");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::NotPresent);
  EXPECT_NE(missing.error().message.find("nonexistent"), std::string::npos);
  EXPECT_FALSE(ks_->type_size("struct no_such_struct_here"));
}

TEST_P(SymbolsFixture, StructOffsetsLayoutLikeCrash) {
  // Offsets as crash's `struct -o` prints them: width from the size, anonymous members
  // expanded with offsets, members of named inline unions without, the closing line with it.
  const char* expected =
      "struct fixture_task {\n"
      "    [0] volatile long state;\n"
      "    [8] void *stack;\n"
      "        union {\n"
      "   [16]     struct fixture_list lru;\n"
      "            struct {\n"
      "   [16]         void *filler;\n"
      "   [24]         unsigned int mlock_count;\n"
      "            };\n"
      "        };\n"
      "        union {\n"
      "            int i;\n"
      "            float f;\n"
      "   [32] } named_u;\n"
      "   [40] struct fixture_sched se;\n"
      "   [64] struct fixture_sched slots[3];\n"
      "  [136] int (*handler)(int, const char *, ...);\n"
      "  [144] struct fixture_task *parent;\n"
      "  [152] char * const tag;\n"
      "  [160] unsigned char data[];\n"
      "}\n"
      "SIZE: 160\n";
  auto text = ks_->format_layout("struct", "fixture_task", true);
  ASSERT_TRUE(text) << text.error().to_string();
  EXPECT_EQ(*text, expected);
  auto hex = ks_->format_layout("struct", "fixture_sched", true, true);
  ASSERT_TRUE(hex);
  EXPECT_EQ(*hex,
            "struct fixture_sched {\n"
            "   [0x0] fixture_u64 exec_start;\n"
            "   [0x8] fixture_u64 sum;\n"
            "  [0x10] int prio;\n"
            "}\n"
            "SIZE: 0x18\n");
  auto u = ks_->format_layout("union", "fixture_union", true);
  ASSERT_TRUE(u);
  EXPECT_EQ(*u, "union fixture_union {\n   [0] int a;\n   [0] long b;\n   [0] struct fixture_list l;\n}\nSIZE: 16\n");
  auto td = ks_->format_layout("struct", "fixture_atomic_t", true);
  ASSERT_TRUE(td);
  EXPECT_EQ(*td, "typedef struct {\n  [0] int counter;\n} fixture_atomic_t;\nSIZE: 4\n");
  auto wrong = ks_->format_layout("union", "fixture_task", false);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::Mismatch);
}

TEST_P(SymbolsFixture, PlainLayoutEqualsGdbPtype) {
  if (sh("command -v gdb").empty()) GTEST_SKIP() << "gdb not installed";
  std::string gdb = sh("gdb -nx -batch -ex 'ptype struct fixture_plain' " + exe_ + " 2>/dev/null");
  ASSERT_EQ(gdb.rfind("type = ", 0), 0u) << gdb;
  auto text = ks_->format_layout("struct", "fixture_plain", false);
  ASSERT_TRUE(text);
  std::string mine = *text;
  mine.erase(mine.rfind("SIZE:"));
  EXPECT_EQ(mine, gdb.substr(7));
}

TEST_P(SymbolsFixture, CompleteTypeIndexIsCachedByBuildId) {
  std::string cache = kdx::test::temp_path(std::string("typecache-") + (exe_ == KDX_SYM_FIXTURE_DW4 ? "4" : "5"));
  ASSERT_EQ(std::system(("rm -rf " + cache).c_str()), 0);
  {
    auto ks = KernelSymbols::open(exe_, {cache, {}, false});
    ASSERT_TRUE(ks);
    EXPECT_FALSE((*ks)->type_size("struct not_defined_anywhere"));  // forces the full walk
  }
  std::string file = cache + "/types-" + ks_->build_id_hex() + ".idx";
  ASSERT_TRUE(kdx::test::file_exists(file));
  auto ks = KernelSymbols::open(exe_, {cache, {}, false});
  ASSERT_TRUE(ks);
  EXPECT_FALSE((*ks)->type_size("struct not_defined_anywhere"));
  EXPECT_EQ((*ks)->member_offset("fixture_task", "se.prio").value_or(0), ks_->member_offset("fixture_task", "se.prio").value_or(1));
  EXPECT_EQ((*ks)->type_size("long unsigned int").value_or(0), 8u);
  // A damaged cache is ignored, not trusted.
  std::ofstream(file, std::ios::trunc) << "kdx-type-index 1 garbage\nfixture_task\t1 2\n";
  auto ks2 = KernelSymbols::open(exe_, {cache, {}, false});
  ASSERT_TRUE(ks2);
  EXPECT_EQ((*ks2)->member_offset("fixture_task", "se.prio").value_or(0), 56u);
  EXPECT_EQ((*ks2)->type_size("union fixture_union").value_or(0), 16u);
}

TEST_P(SymbolsFixture, WhatisVariable) {
  EXPECT_EQ(ks_->variable_declaration("fixture_tasks").value_or(""), "struct fixture_task fixture_tasks[4];");
  EXPECT_EQ(ks_->variable_declaration("fixture_counter").value_or(""), "int fixture_counter;");
  EXPECT_FALSE(ks_->variable_declaration("fixture_nothing"));
}

TEST_P(SymbolsFixture, IdentityAndMismatchLine) {
  std::string id = ks_->build_id_hex();
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(id, sh("readelf -n " + exe_ + " | sed -n 's/.*Build ID: //p' | tr -d '\\n'"));
  EXPECT_TRUE(kdx::symbols::check_kernel_match(*ks_, {std::nullopt, id.substr(0, 20), std::nullopt}));
  auto bad = kdx::symbols::check_kernel_match(*ks_, {std::nullopt, std::string("00112233445566778899"), std::nullopt});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::Mismatch);
  EXPECT_NE(bad.error().message.find(id), std::string::npos);
  EXPECT_NE(bad.error().message.find("00112233445566778899"), std::string::npos);
  EXPECT_EQ(bad.error().message.find('\n'), std::string::npos);
}

TEST_P(SymbolsFixture, ModuleRelocatedAtSectionAddresses) {
  std::string ko = std::string(GetParam()) == KDX_SYM_FIXTURE_DW4 ? KDX_SYM_MODULE_DW4 : KDX_SYM_MODULE_DW5;
  const uint64_t text = 0xffffffffc0a01000, data = 0xffffffffc0a05000;
  auto r = ks_->add_module("fixture_mod", ko, {{".text", text}, {".data", data}, {".rodata", 0xffffffffc0a06000}});
  ASSERT_TRUE(r) << r.error().to_string();
  auto [off, size] = nm_symbol(ko, "fixture_mod_entry");
  auto hit = ks_->symbolize(text + off + 1);
  ASSERT_TRUE(hit) << hit.error().to_string();
  EXPECT_EQ(hit->name, "fixture_mod_entry");
  EXPECT_EQ(hit->offset, 1u);
  ASSERT_TRUE(hit->module);
  EXPECT_EQ(*hit->module, "fixture_mod");
  auto [doff, dsize] = nm_symbol(ko, "fixture_mod_data");
  auto d = ks_->lookup_symbol("fixture_mod_data");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->address, data + doff);
  bool line_found = false;
  for (uint64_t a = text + off; a < text + off + size && !line_found; ++a) {
    auto info = ks_->address_info(a);
    if (info && info->source && info->source->line == -1) break;
    if (info && info->source && info->source->file.find("fixture_module.c") != std::string::npos) line_found = true;
  }
  EXPECT_TRUE(line_found) << "relocated module DWARF gave no line for fixture_mod_entry";
  auto wrong = ks_->add_module("other_name", ko, {{".text", 0xffffffffc0b00000}});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::Mismatch);
}

INSTANTIATE_TEST_SUITE_P(Dwarf, SymbolsFixture, ::testing::Values(KDX_SYM_FIXTURE_DW4, KDX_SYM_FIXTURE_DW5),
                         [](const auto& info) { return std::string(info.param) == KDX_SYM_FIXTURE_DW4 ? "v4" : "v5"; });

TEST(SymbolsDwarfVersion, FixturesReallyDifferInVersion) {
  EXPECT_NE(sh(std::string("readelf --debug-dump=info ") + KDX_SYM_FIXTURE_DW4 + " | grep -m1 'Version:'").find(" 4"),
            std::string::npos);
  EXPECT_NE(sh(std::string("readelf --debug-dump=info ") + KDX_SYM_FIXTURE_DW5 + " | grep -m1 'Version:'").find(" 5"),
            std::string::npos);
}

}  // namespace

// The kallsyms decoder on synthetic tables (every address mode, 6.1's two-byte lengths, corrupt tables).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kdx/symbols/kallsyms.hpp"
#include "support/fake_virt_memory.hpp"

using kdx::ErrorCode;
using kdx::symbols::KallsymsAddressMode;
using kdx::symbols::KallsymsLocation;
using kdx::symbols::KallsymsTable;
using kdx::test::FakeVirtMemory;

namespace {

constexpr uint64_t kBase = 0xffffffff81000000ull;  // _text / relative base
constexpr uint64_t kTables = 0xffffffff82000000ull;

struct Sym {
  std::string typed_name;  // "Tname": type letter first, as the kernel stores it
  uint64_t address;
};

// Writes a kallsyms table the way scripts/kallsyms.c lays it out: offsets, relative_base,
// num_syms, names, markers, token_table, token_index. Tokens: byte b expands to the single
// character b, except 0xf0 = "kdx_" and 0xf1 = "_fn" (real tables share substrings this way).
struct Builder {
  std::vector<Sym> syms;
  KallsymsAddressMode mode = KallsymsAddressMode::BaseRelativeAbsolutePercpu;

  static std::vector<uint8_t> encode(const std::string& s) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i < s.size();) {
      if (s.compare(i, 4, "kdx_") == 0) {
        out.push_back(0xf0);
        i += 4;
      } else if (s.compare(i, 3, "_fn") == 0) {
        out.push_back(0xf1);
        i += 3;
      } else {
        out.push_back(uint8_t(s[i++]));
      }
    }
    return out;
  }

  KallsymsLocation write(FakeVirtMemory& mem) const {
    KallsymsLocation at;
    uint64_t p = kTables;
    at.offsets = p;
    for (const auto& s : syms) {
      int32_t off;
      if (mode == KallsymsAddressMode::BaseRelative) off = int32_t(uint32_t(s.address - kBase));
      else off = s.address < kBase ? int32_t(s.address) : int32_t(int64_t(kBase) - 1 - int64_t(s.address));
      mem.put<int32_t>(p, off);
      p += 4;
    }
    p = (p + 7) & ~7ull;
    at.relative_base = p;
    mem.put<uint64_t>(p, kBase);
    p += 8;
    at.num_syms = p;
    mem.put<uint32_t>(p, uint32_t(syms.size()));
    p += 8;
    at.names = p;
    for (const auto& s : syms) {
      auto e = encode(s.typed_name);
      if (e.size() >= 0x80) {
        mem.put<uint8_t>(p++, uint8_t((e.size() & 0x7f) | 0x80));
        mem.put<uint8_t>(p++, uint8_t(e.size() >> 7));
      } else {
        mem.put<uint8_t>(p++, uint8_t(e.size()));
      }
      mem.write(p, e.data(), e.size());
      p += e.size();
    }
    p = (p + 7) & ~7ull;
    at.markers = p;
    mem.fill(p, 8);
    p += 8;
    at.token_table = p;
    std::vector<uint16_t> index(256);
    uint64_t t = p;
    for (int i = 0; i < 256; i++) {
      index[i] = uint16_t(t - p);
      std::string tok = i == 0xf0 ? "kdx_" : i == 0xf1 ? "_fn" : std::string(1, char(i ? i : '?'));
      mem.write(t, tok.data(), tok.size());
      mem.put<uint8_t>(t + tok.size(), 0);
      t += tok.size() + 1;
    }
    at.token_index = (t + 7) & ~7ull;
    mem.write(at.token_index, index.data(), 512);
    return at;
  }
};

Builder sample() {
  Builder b;
  b.syms = {
      {"Dpcpu_hot", 0x1000},              // absolute per-CPU symbol on x86_64
      {"Dfixed_percpu_data", 0x0},
      {"T_text", kBase},
      {"T_stext", kBase},
      {"t$x", kBase + 0x100},             // a mapping symbol: never the answer
      {"tkdx_local_fn", kBase + 0x100},   // aliases: the first in table order wins, as
      {"Tkdx_global_fn", kBase + 0x100},  // scripts/kallsyms.c sorted them by preference
      {"Tkdx_next_fn", kBase + 0x180},
      {"T" + std::string(150, 'x'), kBase + 0x200},  // 6.1 "big" symbol: two length bytes
      {"T_etext", kBase + 0x300},
      {"Dkdx_data", kBase + 0x400},
      {"B_end", kBase + 0x500},
  };
  return b;
}

TEST(Kallsyms, DecodesAbsolutePercpuTable) {
  FakeVirtMemory mem;
  auto at = sample().write(mem);
  auto t = KallsymsTable::read(mem, at, kBase, true);
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(t->mode(), KallsymsAddressMode::BaseRelativeAbsolutePercpu);
  ASSERT_EQ(t->size(), 12u);
  EXPECT_EQ(t->symbols()[8].name, std::string(150, 'x'));
  EXPECT_EQ(t->symbols()[8].type, 'T');

  auto h = t->symbolize(kBase + 0x105);
  ASSERT_TRUE(h) << h.error().to_string();
  EXPECT_EQ(h->name, "kdx_local_fn");
  EXPECT_EQ(h->offset, 5u);
  EXPECT_EQ(h->size, 0x80u);
  EXPECT_EQ(h->type_char, 't');
  EXPECT_EQ(t->lookup("kdx_global_fn")->address, kBase + 0x100);
  EXPECT_EQ(t->symbolize(kBase + 0x2ff)->name, std::string(150, 'x'));
  EXPECT_EQ(t->symbolize(kBase + 0x450)->name, "kdx_data");

  // Per-CPU symbols are offsets, not addresses: named, but never the answer for an address.
  auto pcpu = t->lookup("pcpu_hot");
  ASSERT_TRUE(pcpu);
  EXPECT_EQ(pcpu->address, 0x1000u);
  EXPECT_EQ(pcpu->size, 0u);
  EXPECT_FALSE(t->symbolize(0x1000));
  EXPECT_FALSE(t->symbolize(kBase + 0x501));  // past _end: a module, not vmlinux
  EXPECT_EQ(t->symbolize(kBase + 0x501).error().code, ErrorCode::NotPresent);
  EXPECT_EQ(t->lookup("kdx_local_fn")->address, kBase + 0x100);
  EXPECT_FALSE(t->lookup("nosuch"));

  EXPECT_TRUE(t->is_text(kBase + 0x2ff));
  EXPECT_FALSE(t->is_text(kBase + 0x300));  // _etext
  EXPECT_FALSE(t->is_text(kBase + 0x450));
}

TEST(Kallsyms, ChoosesModeByStextOrKernelHalf) {
  Builder b = sample();
  b.syms.erase(b.syms.begin(), b.syms.begin() + 2);  // arm64: no absolute per-CPU symbols
  b.mode = KallsymsAddressMode::BaseRelative;
  FakeVirtMemory mem;
  auto at = b.write(mem);
  // The x86_64 hint is wrong here; _stext from VMCOREINFO corrects it.
  auto t = KallsymsTable::read(mem, at, kBase, true);
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(t->mode(), KallsymsAddressMode::BaseRelative);
  EXPECT_EQ(t->lookup("kdx_next_fn")->address, kBase + 0x180);
  // No _stext to check against: the mode whose text lies in the kernel half.
  auto u = KallsymsTable::read(mem, at, std::nullopt, true);
  ASSERT_TRUE(u) << u.error().to_string();
  EXPECT_EQ(u->mode(), KallsymsAddressMode::BaseRelative);
  // VMCOREINFO puts _stext elsewhere: refuse, naming both.
  auto w = KallsymsTable::read(mem, at, kBase + 0x1000, false);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::Mismatch);
  EXPECT_NE(w.error().message.find("ffffffff81001000"), std::string::npos) << w.error().message;
}

TEST(Kallsyms, CorruptTablesFailCleanly) {
  Builder b = sample();
  {
    FakeVirtMemory mem;
    auto at = b.write(mem);
    mem.put<uint32_t>(at.num_syms, 0);
    auto t = KallsymsTable::read(mem, at, kBase, true);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, ErrorCode::Corrupt);
    mem.put<uint32_t>(at.num_syms, 0xffffffffu);
    EXPECT_EQ(KallsymsTable::read(mem, at, kBase, true).error().code, ErrorCode::Corrupt);
    // More symbols than the names array holds: runs into the markers, then the token table.
    mem.put<uint32_t>(at.num_syms, 13);
    auto more = KallsymsTable::read(mem, at, kBase, true);
    ASSERT_FALSE(more);
  }
  {
    FakeVirtMemory mem;
    auto at = b.write(mem);
    mem.put<uint8_t>(at.names, 0);  // zero-length entry
    auto t = KallsymsTable::read(mem, at, kBase, true);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, ErrorCode::Corrupt);
  }
  {
    // A token table whose tokens are huge: names are bounded, never expanded without limit.
    FakeVirtMemory mem;
    auto at = b.write(mem);
    std::string big(3000, 'A');
    uint64_t t = 0xffffffff84000000ull;
    mem.write(t, big.data(), big.size());
    mem.put<uint8_t>(t + big.size(), 0);
    at.token_table = t;
    at.token_index = t + 4096;
    std::vector<uint16_t> index(256, 0);
    index[1] = 3500;  // so the table is taken to be ~3.7 KB long
    mem.write(at.token_index, index.data(), 512);
    auto r = KallsymsTable::read(mem, at, kBase, true);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Corrupt);
    EXPECT_NE(r.error().message.find("longer than any symbol name"), std::string::npos) << r.error().message;
  }
  {
    FakeVirtMemory mem;
    auto at = b.write(mem);
    at.token_table = 0xffffffff90000000ull;  // not in memory
    auto t = KallsymsTable::read(mem, at, kBase, true);
    ASSERT_FALSE(t);
    EXPECT_NE(t.error().message.find("token"), std::string::npos) << t.error().to_string();
  }
  {
    FakeVirtMemory mem;
    auto at = b.write(mem);
    at.offsets = 0xffffffff90000000ull;
    auto t = KallsymsTable::read(mem, at, kBase, true);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, ErrorCode::NotPresent);
    EXPECT_NE(t.error().message.find("kallsyms_offsets"), std::string::npos) << t.error().to_string();
  }
}

TEST(Kallsyms, LocationNeedsVmcoreinfoSymbols) {
  auto vmi = kdx::dump::Vmcoreinfo::parse("OSRELEASE=5.15.0\nSYMBOL(_stext)=ffffffff81000000\n");
  auto at = kdx::symbols::kallsyms_location(vmi);
  ASSERT_FALSE(at);
  EXPECT_EQ(at.error().code, ErrorCode::NotPresent);
  EXPECT_NE(at.error().message.find("SYMBOL(kallsyms_names)"), std::string::npos) << at.error().message;
  auto full = kdx::dump::Vmcoreinfo::parse(
      "SYMBOL(kallsyms_names)=1\nSYMBOL(kallsyms_num_syms)=2\nSYMBOL(kallsyms_token_table)=3\n"
      "SYMBOL(kallsyms_token_index)=4\nSYMBOL(kallsyms_offsets)=5\n");
  auto no_base = kdx::symbols::kallsyms_location(full);
  ASSERT_FALSE(no_base);
  EXPECT_NE(no_base.error().message.find("kallsyms_relative_base"), std::string::npos);
}

}  // namespace

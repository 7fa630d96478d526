// `struct -o` of kernel structs on both fixture kernels, compared with pahole's layout (golden text from pahole 1.24).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "kdx/symbols/kernel_symbols.hpp"
#include "support/paths.hpp"

using kdx::symbols::KernelSymbols;
using kdx::test::file_exists;
using kdx::test::testdata_path;

namespace {

[[maybe_unused]] const int kCacheDirSet = setenv("KDX_CACHE_DIR", kdx::test::temp_path("kdx-cache").c_str(), 0);

struct PaholeStruct {
  uint64_t size = 0;
  std::map<std::string, uint64_t> offsets;  // members of the struct or of its anonymous members
};

// The member name in a declaration: "(*name)(...)" for function pointers, else the last
// identifier once array dimensions, bit-field widths and attributes are removed.
std::string decl_name(std::string d) {
  if (auto a = d.find(" __attribute__"); a != std::string::npos) d.resize(a);
  if (auto f = d.find("(*"); f != std::string::npos) {
    auto e = d.find(')', f);
    return d.substr(f + 2, e - f - 2);
  }
  if (auto c = d.find(':'); c != std::string::npos) d.resize(c);
  if (auto b = d.find('['); b != std::string::npos) d.resize(b);
  while (!d.empty() && (d.back() == ' ' || d.back() == ';')) d.pop_back();
  auto s = d.find_last_of(" *");
  return s == std::string::npos ? d : d.substr(s + 1);
}

// Parses `pahole -C a,b,c` output. Members inside a named inline struct ("struct {...} x;")
// are dropped (crash prints no offset for them); those of anonymous ones are kept.
std::map<std::string, PaholeStruct> parse_pahole(const std::string& path) {
  std::map<std::string, PaholeStruct> out;
  std::ifstream f(path);
  std::string line, cur;
  static const std::regex member(R"(^\t+(.*;)\s*/\*\s*(\d+)(:\s*\d+)?\s+(\d+)\s*\*/\s*$)");
  static const std::regex size_re(R"(/\* size: (\d+),)");
  std::vector<std::vector<std::pair<std::string, uint64_t>>> blocks;  // pending members per open inline block
  std::smatch m;
  auto add = [&](std::pair<std::string, uint64_t> e) {
    if (blocks.empty()) out[cur].offsets.insert(e);
    else blocks.back().push_back(e);
  };
  while (std::getline(f, line)) {
    if (line.rfind("struct ", 0) == 0 && line.back() == '{') {
      cur = line.substr(7, line.find(' ', 7) - 7);
      out[cur] = {};
      blocks.clear();
      continue;
    }
    if (cur.empty()) continue;
    std::string body = line.substr(line.find_first_not_of('\t') == std::string::npos ? 0 : line.find_first_not_of('\t'));
    if (std::regex_search(line, m, size_re) && line.find("\t/*") == 0) out[cur].size = std::stoull(m[1]);
    if (line == "};" || line.rfind("} __attribute__", 0) == 0) {
      cur.clear();
      continue;
    }
    if (body.size() && body.back() == '{') {
      blocks.emplace_back();
      continue;
    }
    bool closing = body.rfind("}", 0) == 0;
    if (closing && !blocks.empty()) {
      auto inner = std::move(blocks.back());
      blocks.pop_back();
      std::string decl = body.substr(0, body.find(';') + 1);
      bool anonymous = decl == "};" || decl.rfind("} __attribute__", 0) == 0;
      if (anonymous)
        for (auto& p : inner) add(p);
      else if (std::regex_search(line, m, member))
        add({decl_name(decl.substr(1)), std::stoull(m[2])});
      continue;
    }
    if (std::regex_search(line, m, member)) add({decl_name(m[1]), std::stoull(m[2])});
  }
  return out;
}

// kdx's `struct -o` output: "[OFF] decl;" lines -> name -> offset, and "SIZE: n".
PaholeStruct parse_kdx(const std::string& text) {
  PaholeStruct s;
  std::istringstream in(text);
  std::string line;
  static const std::regex off_re(R"(^\s*\[(\d+)\]\s+(.*;)$)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (line.rfind("SIZE: ", 0) == 0) s.size = std::stoull(line.substr(6));
    if (std::regex_match(line, m, off_re)) {
      std::string d = m[2];
      if (d.rfind("}", 0) == 0) d = d.substr(1);
      s.offsets.emplace(decl_name(d), std::stoull(m[1]));
    }
  }
  return s;
}

void compare_arch(const std::string& arch) {
  auto vmlinux = testdata_path(arch + "/vmlinux.xz");
  auto golden = testdata_path(arch + "/golden/pahole-structs.txt");
  if (!file_exists(vmlinux) || !file_exists(golden)) GTEST_SKIP() << arch << " fixture kernel or pahole golden absent";
  auto ks = KernelSymbols::open(vmlinux);
  ASSERT_TRUE(ks) << ks.error().to_string();
  auto pahole = parse_pahole(golden);
  ASSERT_EQ(pahole.size(), 7u) << golden;
  size_t compared = 0;
  for (const auto& [name, p] : pahole) {
    ASSERT_GT(p.size, 0u) << name;
    ASSERT_GE(p.offsets.size(), 2u) << name;
    auto text = (*ks)->format_layout("struct", name, true);
    ASSERT_TRUE(text) << text.error().to_string();
    auto k = parse_kdx(*text);
    EXPECT_EQ(k.size, p.size) << arch << " struct " << name;
    for (const auto& [member, off] : p.offsets) {
      auto it = k.offsets.find(member);
      if (it == k.offsets.end()) {
        ADD_FAILURE() << arch << " struct " << name << ": kdx struct -o has no offset for " << member << "\n" << *text;
        continue;
      }
      EXPECT_EQ(it->second, off) << arch << " " << name << "." << member;
      // The programmatic API agrees too.
      auto mo = (*ks)->member_offset(name, member);
      ASSERT_TRUE(mo) << mo.error().to_string();
      EXPECT_EQ(*mo, off) << arch << " member_offset " << name << "." << member;
      compared++;
    }
  }
  // task_struct alone has ~150 members on these kernels: the parse must have found them.
  EXPECT_GT(compared, 200u);
}

TEST(SymbolsPahole, X86_64StructOffsetsEqualPahole) { compare_arch("x86_64"); }
TEST(SymbolsPahole, Arm64StructOffsetsEqualPahole) { compare_arch("arm64"); }

}  // namespace

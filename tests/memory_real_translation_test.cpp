// Address translation on the real fixture dumps: `kdx vtop`/`ptov`/`kvtop`/`rd -s` against crash 8.0.2's goldens (x86_64), user reads through a task's mm->pgd (x86_64 and arm64), and the arm64 TTBR0 rule.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kdx/analysis/target.hpp"
#include "kdx/dump/dump.hpp"
#include "kdx/kernel/tasks.hpp"
#include "kdx/memory/kernel_address_space.hpp"
#include "kdx/symbols/kernel_symbols.hpp"
#include "src/symbols/decompressed_file.hpp"
#include "support/paths.hpp"

namespace fs = std::filesystem;
using namespace kdx;
using kdx::test::run_kdx;
using kdx::test::testdata_path;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// "@@@ command" -> the lines that follow it, from a golden written by golden-vtop.sh.
std::vector<std::pair<std::string, std::vector<std::string>>> sections(const std::string& text) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("@@@ ")) out.push_back({line.substr(4), {}});
    else if (!out.empty() && !line.starts_with("#")) out.back().second.push_back(line);
  }
  return out;
}

uint64_t hexval(const std::string& s) { return std::stoull(s, nullptr, 16); }
uint64_t jhex(const nlohmann::json& j) { return hexval(j.get<std::string>()); }

// What crash's vtop says about one address (x86_64, 4-level).
struct CrashVtop {
  uint64_t vaddr = 0, paddr = 0, pgd_dir = 0, pgd_entry = 0, page_size = 4096;
  std::vector<std::tuple<std::string, uint64_t, uint64_t>> levels;  // PUD/PMD/PTE: entry address, entry
  std::string flags;
};

std::optional<CrashVtop> parse_crash_vtop(const std::string& addr, const std::vector<std::string>& lines) {
  CrashVtop c;
  c.vaddr = hexval(addr);
  std::smatch m;
  bool phys = false;
  for (const auto& l : lines) {
    if (!phys && std::regex_match(l, m, std::regex(R"(([0-9a-f]+)\s+([0-9a-f]+)\s*)")) && hexval(m[1]) == c.vaddr) {
      c.paddr = hexval(m[2]);
      phys = true;
    } else if (std::regex_match(l, m, std::regex(R"(PGD DIRECTORY: ([0-9a-f]+))"))) {
      c.pgd_dir = hexval(m[1]);
    } else if (std::regex_match(l, m, std::regex(R"(PAGE DIRECTORY: ([0-9a-f]+))"))) {
      c.pgd_entry = hexval(m[1]);
    } else if (std::regex_match(l, m, std::regex(R"(\s+(PUD|PMD|PTE): ([0-9a-f]+) => ([0-9a-f]+))"))) {
      c.levels.emplace_back(m[1], hexval(m[2]), hexval(m[3]));
    } else if (std::regex_match(l, m, std::regex(R"(\s+PAGE: [0-9a-f]+\s+\((\d+)([MG])B\))"))) {
      c.page_size = std::stoull(m[1]) << (m[2] == "M" ? 20 : 30);
    } else if (std::regex_match(l, m, std::regex(R"(\s*[0-9a-f]+\s+[0-9a-f]+\s+\(([A-Z|]+)\))"))) {
      c.flags = m[1];
    }
  }
  if (!phys || c.levels.empty()) return std::nullopt;
  return c;
}

std::string join(const nlohmann::json& a) {
  std::string s;
  for (const auto& f : a) s += (s.empty() ? "" : "|") + f.get<std::string>();
  return s;
}

std::vector<std::string> x86_scenarios() {
  std::vector<std::string> out;
  fs::path g = testdata_path("x86_64/golden");
  if (!fs::is_directory(g)) return out;
  for (const auto& d : fs::directory_iterator(g))
    if (fs::exists(d.path() / "crash-vtop.txt")) out.push_back(d.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// The golden of one scenario, split into its "@@@ command" sections.
std::vector<std::pair<std::string, std::vector<std::string>>> golden(const std::string& scenario, const char* file) {
  return sections(slurp(testdata_path("x86_64/golden/" + scenario + "/" + file)));
}

const std::string kX86Vmlinux = testdata_path("x86_64/vmlinux.xz");
const std::string kArmVmlinux = testdata_path("arm64/vmlinux.xz");

// The fixture's target with its vmlinux (the layouts of task_struct and mm_struct).
Result<std::unique_ptr<analysis::Target>> open_target(const std::string& dump, const std::string& vmlinux) {
  auto d = dump::open_dump({dump});
  if (!d) return std::unexpected(d.error());
  symbols::OpenOptions o;
  o.cache_dir = std::string(KDX_BINARY_DIR) + "/kdx-cache";
  o.use_debuginfod = false;
  auto ks = symbols::KernelSymbols::open(vmlinux, o);
  if (!ks) return std::unexpected(ks.error());
  return analysis::Target::open(std::move(*d), std::move(*ks));
}

// The QEMU ELF dumps keep every page (user pages too); they are committed xz'd.
std::string decompressed(const std::string& rel) {
  auto dir = symbols::resolve_cache_dir(std::string(KDX_BINARY_DIR) + "/kdx-cache");
  if (!dir) return {};
  auto p = symbols::materialize_input(testdata_path(rel), *dir);
  return p ? *p : std::string();
}

}  // namespace

// Every address crash translated (kernel text, rodata, direct map, two vmalloc areas, the
// module base) gives kdx the same table entries, physical address, page size and flags.
TEST(RealTranslation, VtopMatchesCrashOnEveryX86Dump) {
  auto scen = x86_scenarios();
  if (scen.empty()) GTEST_SKIP() << "no crash-vtop.txt goldens";
  size_t compared = 0;
  for (const auto& s : scen) {
    SCOPED_TRACE(s);
    const std::string dump = testdata_path("x86_64/" + s + "/vmcore-d31.kdump");
    std::set<uint64_t> pgd_dirs;
    for (const auto& [cmd, lines] : golden(s, "crash-vtop.txt")) {
      if (!cmd.starts_with("vtop ")) continue;
      auto c = parse_crash_vtop(cmd.substr(5), lines);
      ASSERT_TRUE(c) << "unparsable golden section " << cmd;
      SCOPED_TRACE(cmd);
      auto r = run_kdx("vtop " + cmd.substr(5) + " " + dump + " " + kX86Vmlinux + " --json");
      ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
      auto j = nlohmann::json::parse(r.out);
      EXPECT_EQ(jhex(j["paddr"]), c->paddr);
      EXPECT_EQ(j["page_size"].get<uint64_t>(), c->page_size);
      EXPECT_EQ(join(j["flags"]), c->flags);
      ASSERT_EQ(j["levels"].size(), c->levels.size() + 1);
      EXPECT_EQ(j["levels"][0]["name"], "PGD");
      EXPECT_EQ(jhex(j["levels"][0]["entry"]), c->pgd_entry);
      for (size_t i = 0; i < c->levels.size(); ++i) {
        const auto& l = j["levels"][i + 1];
        EXPECT_EQ(l["name"], std::get<0>(c->levels[i]));
        EXPECT_EQ(jhex(l["entry_addr"]), std::get<1>(c->levels[i]));
        EXPECT_EQ(jhex(l["entry"]), std::get<2>(c->levels[i]));
        EXPECT_EQ(jhex(l["table"]), std::get<1>(c->levels[i]) & ~0xfffULL);
      }
      // crash names the top table by its virtual address (init_top_pgt): kdx's kvtop of it
      // must be the table kdx walked.
      if (pgd_dirs.insert(c->pgd_dir).second) {
        auto k = run_kdx(fmt::format("kvtop {:x} {} --json", c->pgd_dir, dump));
        ASSERT_EQ(k.exit_code, 0) << k.err << k.out;
        auto kj = nlohmann::json::parse(k.out);
        EXPECT_EQ(jhex(kj[0]["paddr"]), jhex(j["levels"][0]["table"]));
        EXPECT_EQ(kj[0]["how"], "kernel image");
        EXPECT_EQ(jhex(kj[0]["walked"]), jhex(kj[0]["paddr"]));
      }
      // Regions, which crash does not print, from the address kinds golden-vtop.sh chose.
      std::string region = j["region"];
      if (c->vaddr >= 0xffffffffc0000000ULL) EXPECT_EQ(region, "module");
      else if (c->vaddr >= 0xffffffff80000000ULL)
        EXPECT_TRUE(region == "kernel text" || region == "kernel rodata" || region == "kernel data") << region;
      else EXPECT_TRUE(region == "direct map" || region == "vmalloc") << region;
      ++compared;
    }
  }
  EXPECT_GE(compared, scen.size() * 5);
}

// crash's ptov of the crashed task's physical address, and the round trip vtop(ptov(p)) == p.
TEST(RealTranslation, PtovMatchesCrashAndRoundTrips) {
  auto scen = x86_scenarios();
  if (scen.empty()) GTEST_SKIP() << "no crash-vtop.txt goldens";
  size_t compared = 0;
  for (const auto& s : scen) {
    SCOPED_TRACE(s);
    const std::string dump = testdata_path("x86_64/" + s + "/vmcore-d31.kdump");
    for (const auto& [cmd, lines] : golden(s, "crash-vtop.txt")) {
      if (!cmd.starts_with("ptov ")) continue;
      uint64_t p = hexval(cmd.substr(5));
      std::optional<uint64_t> want;
      std::smatch m;
      for (const auto& l : lines)
        if (std::regex_match(l, m, std::regex(R"(([0-9a-f]+)\s+([0-9a-f]+)\s*)")) && hexval(m[2]) == p) want = hexval(m[1]);
      ASSERT_TRUE(want) << "unparsable ptov golden";
      auto r = run_kdx(fmt::format("ptov {:x} {} --json", p, dump));
      ASSERT_EQ(r.exit_code, 0) << r.err;
      auto j = nlohmann::json::parse(r.out);
      EXPECT_EQ(jhex(j[0]["direct_map"]), *want);
      auto v = run_kdx(fmt::format("vtop {:x} {} --json", *want, dump));
      ASSERT_EQ(v.exit_code, 0) << v.err;
      EXPECT_EQ(jhex(nlohmann::json::parse(v.out)["paddr"]), p);
      ++compared;
    }
  }
  EXPECT_EQ(compared, scen.size());
}

// rd -s of the crashed task's stack: every word crash shows as a symbol, kdx shows as the
// same symbol, and every word crash shows as a number, kdx shows as that number.
TEST(RealTranslation, RdSymbolicMatchesCrashOnTheCrashedStack) {
  auto scen = x86_scenarios();
  if (scen.empty()) GTEST_SKIP() << "no goldens";
  symbols::OpenOptions so;
  so.cache_dir = std::string(KDX_BINARY_DIR) + "/kdx-cache";
  so.use_debuginfod = false;
  auto ks = symbols::KernelSymbols::open(kX86Vmlinux, so);
  ASSERT_TRUE(ks) << ks.error().to_string();
  // crash prints a compiler-split function without its suffix (finish_task_switch.isra.0 is
  // "finish_task_switch" in rd -s, though bt keeps it); kdx keeps the symbol's real name.
  auto strip = [](std::string n) { return std::regex_replace(n, std::regex(R"(\.(isra|constprop|part|cold)(\.\d+)?)"), ""); };
  // Two names for one address (_edata and __start___bug_table): either is the same symbol.
  auto same_place = [&](const std::string& a, const std::string& b) {
    std::smatch ma, mb;
    std::regex re(R"(([^+]+)(\+\d+)?)");
    if (!std::regex_match(a, ma, re) || !std::regex_match(b, mb, re) || ma[2] != mb[2]) return false;
    auto ha = (*ks)->lookup_symbol(ma[1].str()), hb = (*ks)->lookup_symbol(mb[1].str());
    return ha && hb && ha->address == hb->address;
  };
  size_t symbols = 0;
  for (const auto& s : scen) {
    SCOPED_TRACE(s);
    const std::string golden = testdata_path("x86_64/golden/" + s + "/crash-rd.txt");
    if (!fs::exists(golden)) continue;
    for (const auto& [cmd, lines] : sections(slurp(golden))) {
      std::smatch m;
      ASSERT_TRUE(std::regex_match(cmd, m, std::regex(R"(rd -s ([0-9a-f]+) (\d+))"))) << cmd;
      // The .ko among the inputs: its directory is searched for module debug info.
      auto r = run_kdx(fmt::format("rd -s {} {} {} {} {}", std::string(m[1]), std::string(m[2]),
                                   testdata_path("x86_64/" + s + "/vmcore-d31.kdump"), kX86Vmlinux,
                                   testdata_path("x86_64/kdxcrash.ko")));
      ASSERT_EQ(r.exit_code, 0) << r.err;
      // address -> cell text, for both.
      auto cells = [](const std::vector<std::string>& ls) {
        std::map<uint64_t, std::string> out;
        std::smatch lm;
        for (const auto& l : ls) {
          if (!std::regex_search(l, lm, std::regex(R"(^([0-9a-f]+):\s+(.*)$)"))) continue;
          uint64_t a = hexval(lm[1]);
          std::istringstream ws(lm[2].str());
          std::string w;
          while (ws >> w) out[a] = w, a += 8;
        }
        return out;
      };
      std::istringstream ko(r.out);
      std::vector<std::string> klines;
      for (std::string l; std::getline(ko, l);) klines.push_back(l);
      auto want = cells(lines), got = cells(klines);
      ASSERT_EQ(want.size(), std::stoul(m[2].str()));
      for (const auto& [a, w] : want) {
        SCOPED_TRACE(fmt::format("{:x}", a));
        ASSERT_TRUE(got.count(a));
        // crash invents _MODULE_INIT_START_<mod> for module init text that its symbol table
        // lacks (kdxcrash_init, see testdata/README.md); kdx names the real function.
        if (w.starts_with("_MODULE_INIT_START_")) {
          EXPECT_FALSE(std::regex_match(got[a], std::regex("[0-9a-f]{16}"))) << got[a];
          continue;
        }
        if (strip(got[a]) != strip(w)) {
          EXPECT_TRUE(same_place(got[a], w)) << "kdx " << got[a] << ", crash " << w;
        }
        if (!std::regex_match(w, std::regex("[0-9a-f]{16}"))) ++symbols;
      }
    }
  }
  EXPECT_GE(symbols, scen.size() * 3);
}

// rd -u through init's mm->pgd on the full QEMU ELF dump: the bytes crash read, argv[0]
// "/init" at mm->arg_start, argc 1 and argv[0] on the user stack; the same page in the
// makedumpfile -d 31 dump is reported excluded, not shown as zeros.
TEST(RealTranslation, RdUserReadsInitThroughItsPageTableX86) {
  const std::string golden = testdata_path("x86_64/golden/null/crash-rd-user.txt");
  if (!fs::exists(golden)) GTEST_SKIP() << "no crash-rd-user.txt";
  const std::string elf = decompressed("x86_64/null/vmcore.elf.xz");
  ASSERT_FALSE(elf.empty());
  const std::string kdump = testdata_path("x86_64/null/vmcore-d31.kdump");
  std::smatch m;
  std::string text = slurp(golden);
  ASSERT_TRUE(std::regex_search(text, m, std::regex(R"(start_code=([0-9a-f]+) start_stack=([0-9a-f]+) arg_start=([0-9a-f]+))")));
  const std::string code = m[1], stack = m[2], args = m[3];
  size_t words = 0;
  for (const auto& [cmd, lines] : sections(text)) {
    SCOPED_TRACE(cmd);
    std::smatch cm;
    if (std::regex_match(cmd, cm, std::regex(R"(rd -u ([0-9a-f]+) (\d+))")) && cm[2] != "1") {
      // crash: "    ADDR:  word word   ascii"; kdx must print the same words for the address.
      auto r = run_kdx(fmt::format("rd -u {} {} {} {}", std::string(cm[1]), std::string(cm[2]), elf, kX86Vmlinux));
      ASSERT_EQ(r.exit_code, 0) << r.err;
      for (const auto& l : lines) {
        std::smatch lm;
        if (!std::regex_search(l, lm, std::regex(R"(^\s*([0-9a-f]+):\s+([0-9a-f]{16}) ([0-9a-f]{16}))"))) continue;
        std::string a = lm[1];
        std::smatch km;
        ASSERT_TRUE(std::regex_search(r.out, km, std::regex("(^|\\n)\\s*(0x)?0*" + a + R"(:\s+([0-9a-f]{16}) ([0-9a-f]{16}))")))
            << r.out;
        EXPECT_EQ(km[3], lm[2]);
        EXPECT_EQ(km[4], lm[3]);
        words += 2;
      }
    }
  }
  EXPECT_EQ(words, 16u);
  // argv[0] at mm->arg_start, as crash's rd -a -u showed.
  auto a = run_kdx(fmt::format("rd -a -u {} {} {} --pid 1", args, elf, kX86Vmlinux));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_NE(a.out.find("/init"), std::string::npos) << a.out;
  // The user stack at mm->start_stack: argc = 1, then argv[0] = arg_start.
  auto st = run_kdx(fmt::format("rd -u {} 2 {} {} --task {}", stack, elf, kX86Vmlinux, "ffff986400178000"));
  ASSERT_EQ(st.exit_code, 0) << st.err;
  EXPECT_NE(st.out.find(fmt::format("0000000000000001 {:016x}", hexval(args))), std::string::npos) << st.out;
  // Same page, -d 31 dump: the tables are there (vtop maps it to the same frame), the page is not.
  auto ve = run_kdx(fmt::format("vtop -u {} {} {} --json", code, elf, kX86Vmlinux));
  // A user address: the crashed task's table is implied, as in crash.
  auto vk = run_kdx(fmt::format("vtop {} {} {} --json", code, kdump, kX86Vmlinux));
  ASSERT_EQ(ve.exit_code, 0) << ve.err;
  ASSERT_EQ(vk.exit_code, 0) << vk.err;
  auto je = nlohmann::json::parse(ve.out), jk = nlohmann::json::parse(vk.out);
  EXPECT_EQ(je["paddr"], jk["paddr"]);
  // crash's -c context by PID and by task address picks the same table.
  for (const char* ctx : {"1", "ffff986400178000"}) {
    auto vc = run_kdx(fmt::format("vtop -c {} {} {} {} --json", ctx, code, kdump, kX86Vmlinux));
    ASSERT_EQ(vc.exit_code, 0) << vc.err;
    auto jc = nlohmann::json::parse(vc.out);
    EXPECT_EQ(jc["paddr"], jk["paddr"]) << ctx;
    EXPECT_EQ(jc["task"]["pgd_paddr"], jk["task"]["pgd_paddr"]) << ctx;
  }
  EXPECT_EQ(jk["region"], "user");
  EXPECT_EQ(jk["task"]["pid"], 1);
  EXPECT_EQ(jk["task"]["comm"], "init");
  EXPECT_TRUE(std::find(jk["flags"].begin(), jk["flags"].end(), "USER") != jk["flags"].end());
  auto ex = run_kdx(fmt::format("rd -u {} 1 {} {}", code, kdump, kX86Vmlinux));
  EXPECT_NE(ex.exit_code, 0);
  EXPECT_NE(ex.err.find("page excluded"), std::string::npos) << ex.err;
  // A kernel thread has no user address space: one clear line, no walk of the wrong table.
  auto kt = run_kdx(fmt::format("rd -u {} 1 {} {} --pid 2", code, elf, kX86Vmlinux));
  EXPECT_NE(kt.exit_code, 0);
  EXPECT_NE(kt.err.find("no user address space"), std::string::npos) << kt.err;
}

// arm64: the kernel's tables (swapper_pg_dir, TTBR1) refuse a user address; through init's
// mm->pgd (TTBR0) kdx reads argv[0] "/init" and the stack's argc/argv, in both formats.
TEST(RealTranslation, Arm64UserAddressesNeedTheTasksTable) {
  for (const std::string rel : {"arm64/null/vmcore-qemu-zlib.flat", "arm64/null/vmcore.elf.xz"}) {
    SCOPED_TRACE(rel);
    std::string path = rel.ends_with(".xz") ? decompressed(rel) : testdata_path(rel);
    if (path.empty() || !fs::exists(path)) GTEST_SKIP() << "no " << rel;
    auto t = open_target(path, kArmVmlinux);
    ASSERT_TRUE(t) << t.error().to_string();
    auto mem = (*t)->memory();
    ASSERT_TRUE(mem) << mem.error().to_string();
    kernel::TaskReader tr(**mem, (*t)->layout());
    auto cur = tr.current_task(0);
    ASSERT_TRUE(cur) << cur.error().to_string();
    auto task = tr.read_task(*cur);
    ASSERT_TRUE(task);
    EXPECT_EQ(task->pid, 1);
    auto mm = tr.read_task_mm(*cur);
    ASSERT_TRUE(mm) << mm.error().to_string();
    ASSERT_NE(mm->arg_start, 0u);
    // Without a user root the walker refuses: no walk of swapper_pg_dir's entries.
    Translation refused = (*mem)->explain(mm->arg_start);
    EXPECT_EQ(refused.status, WalkStatus::NoUserRoot);
    EXPECT_EQ(refused.region, "user");
    EXPECT_NE(refused.error.find("needs a task's page table (TTBR0)"), std::string::npos) << refused.error;
    auto pgd = (*mem)->translate(mm->pgd);
    ASSERT_TRUE(pgd);
    auto user = (*mem)->with_user_root(*pgd);
    char argv0[6] = {};
    ASSERT_TRUE(user->read_virt(mm->arg_start, std::span<uint8_t>(reinterpret_cast<uint8_t*>(argv0), 6)));
    EXPECT_EQ(std::string(argv0, 6), std::string("/init\0", 6));
    auto argc = user->read_u64(mm->start_stack);
    auto argp = user->read_u64(mm->start_stack + 8);
    ASSERT_TRUE(argc && argp);
    EXPECT_EQ(*argc, 1u);
    EXPECT_EQ(*argp, mm->arg_start);
    Translation ut = user->explain(mm->arg_start);
    ASSERT_EQ(ut.status, WalkStatus::Mapped) << ut.error;
    EXPECT_EQ(ut.levels.front().table, *pgd);
    EXPECT_TRUE(std::find(ut.flags.begin(), ut.flags.end(), "EL0") != ut.flags.end());
    // Kernel addresses in the task's view still walk swapper_pg_dir.
    EXPECT_EQ(user->translate(*cur).value_or(0), (*mem)->translate(*cur).value_or(1));
  }
}

// arm64 through the CLI: vtop of a user address uses the crashed task, rd -u reads argv.
TEST(RealTranslation, Arm64VtopAndRdUserCli) {
  const std::string dump = testdata_path("arm64/null/vmcore-qemu-zlib.flat");
  if (!fs::exists(dump)) GTEST_SKIP();
  auto t = open_target(dump, kArmVmlinux);
  ASSERT_TRUE(t) << t.error().to_string();
  auto mem = (*t)->memory();
  ASSERT_TRUE(mem);
  kernel::TaskReader tr(**mem, (*t)->layout());
  auto cur = tr.current_task(0);
  ASSERT_TRUE(cur) << cur.error().to_string();
  auto mm = tr.read_task_mm(*cur);
  ASSERT_TRUE(mm) << mm.error().to_string();
  auto r = run_kdx(fmt::format("rd -a -u {:x} {} {}", mm->arg_start, dump, kArmVmlinux));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("/init"), std::string::npos) << r.out;
  auto v = run_kdx(fmt::format("vtop {:x} {} {} --json", mm->arg_start, dump, kArmVmlinux));
  ASSERT_EQ(v.exit_code, 0) << v.err;
  auto j = nlohmann::json::parse(v.out);
  EXPECT_EQ(j["region"], "user");
  EXPECT_EQ(j["task"]["pid"], 1);
  EXPECT_EQ(jhex(j["task"]["pgd"]), mm->pgd);
  // -k forces the kernel's tables: refused, exit 1, the reason in the output.
  auto k = run_kdx(fmt::format("vtop -k {:x} {} {} --json", mm->arg_start, dump, kArmVmlinux));
  EXPECT_EQ(k.exit_code, 1);
  auto kj = nlohmann::json::parse(k.out);
  EXPECT_TRUE(kj["paddr"].is_null());
  EXPECT_NE(kj["error"].get<std::string>().find("TTBR0"), std::string::npos);
}

// ptov/kvtop on arm64 (linear map and kernel image), round trips through the walker.
TEST(RealTranslation, Arm64PtovKvtopRoundTrip) {
  const std::string dump = testdata_path("arm64/null/vmcore-qemu-zlib.flat");
  if (!fs::exists(dump)) GTEST_SKIP();
  auto d = dump::open_dump({dump});
  ASSERT_TRUE(d);
  auto* vi = (*d)->vmcoreinfo();
  ASSERT_TRUE(vi);
  uint64_t swapper = *vi->symbol("swapper_pg_dir");
  uint64_t voff = *vi->number_u64("kimage_voffset");
  uint64_t root = swapper - voff;
  // kvtop of the image address: arithmetic and walk agree.
  auto k = run_kdx(fmt::format("kvtop {:x} {} {} --json", swapper, dump, kArmVmlinux));
  ASSERT_EQ(k.exit_code, 0) << k.err << k.out;
  auto kj = nlohmann::json::parse(k.out);
  EXPECT_EQ(jhex(kj[0]["paddr"]), root);
  EXPECT_EQ(kj[0]["how"], "kernel image");
  // ptov of the table's physical address: its linear-map alias and its image address; vtop
  // of both comes back to the same physical address.
  auto p = run_kdx(fmt::format("ptov {:x} {} {} --json", root, dump, kArmVmlinux));
  ASSERT_EQ(p.exit_code, 0) << p.err;
  auto pj = nlohmann::json::parse(p.out);
  ASSERT_FALSE(pj[0]["direct_map"].is_null());
  EXPECT_EQ(jhex(pj[0]["kernel_image"]), swapper);
  for (const char* key : {"direct_map", "kernel_image"}) {
    auto v = run_kdx(fmt::format("vtop {} {} --json", pj[0][key].get<std::string>(), dump));
    ASSERT_EQ(v.exit_code, 0) << v.err;
    EXPECT_EQ(jhex(nlohmann::json::parse(v.out)["paddr"]), root) << key;
  }
  // A spread of RAM pages: vtop(ptov(p)) == p everywhere the linear map covers.
  size_t checked = 0;
  for (const auto& r : (*d)->phys_ranges()) {
    for (uint64_t pa = r.start; pa < r.end; pa += 0x3fb000) {
      auto v = run_kdx(fmt::format("ptov {:x} {} --json", pa, dump));
      auto vj = nlohmann::json::parse(v.out);
      if (vj[0]["direct_map"].is_null()) continue;
      auto back = run_kdx(fmt::format("kvtop {} {} --json", vj[0]["direct_map"].get<std::string>(), dump));
      auto bj = nlohmann::json::parse(back.out);
      EXPECT_EQ(jhex(bj[0]["paddr"]), pa);
      EXPECT_EQ(jhex(bj[0]["walked"]), pa);
      ++checked;
      if (checked >= 12) break;
    }
  }
  EXPECT_GE(checked, 8u);
}

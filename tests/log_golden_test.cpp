// kdx log on every real fixture dump against crash 8.0.2's `log` (x86_64 goldens) and the serial console (arm64).
//
// Goldens (testdata/gen/golden.sh and log-golden.sh): crash.txt's '@@@ log' section (timestamps
// and text), crash-log-m-d-t.txt (`log -m -d -t`: level, text, dictionary) for every x86_64
// scenario, and crash-log-T-m-d.txt (`log -T -m -d`) for null. kdx's output must equal them
// byte for byte, but for -T, whose dates differ from crash's by one constant per dump because
// crash derives the boot time from jiffies with HZ=1000 on this HZ=250 kernel (docs/log.md).
#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "kdx/analysis/target.hpp"
#include "kdx/dump/dump.hpp"
#include "kdx/kernel/printk.hpp"
#include "kdx/symbols/kernel_symbols.hpp"
#include "support/dump_writer.hpp"
#include "support/paths.hpp"

namespace fs = std::filesystem;
using kdx::test::run_kdx;
using kdx::test::testdata_path;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string l;
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

// The output of one command in a crash.txt session ('@@@ CMD' up to the next '@@@ ').
std::string crash_section(const std::string& crash_txt, const std::string& cmd) {
  auto lines = lines_of(crash_txt);
  std::string out;
  bool in = false;
  for (const auto& l : lines) {
    if (l.rfind("@@@ ", 0) == 0) {
      if (in) break;
      in = l == "@@@ " + cmd;
      continue;
    }
    if (in) out += l + "\n";
  }
  return out;
}

// A golden file from log-golden.sh without its leading '# crash ...' line.
std::string golden_body(const std::string& path) {
  std::string g = slurp(path);
  if (g.rfind("# crash", 0) == 0) g.erase(0, g.find('\n') + 1);
  return g;
}

// Fails naming the first differing line (a missing, extra or reordered record shows there).
void expect_same_lines(const std::string& want, const std::string& got, const std::string& what) {
  auto w = lines_of(want), g = lines_of(got);
  for (size_t i = 0; i < std::max(w.size(), g.size()); i++) {
    std::string a = i < w.size() ? w[i] : "<none>", b = i < g.size() ? g[i] : "<none>";
    if (a != b) {
      ADD_FAILURE() << what << ": line " << i + 1 << " differs (crash has " << w.size() << " lines, kdx " << g.size()
                    << ")\n  crash: " << a << "\n  kdx:   " << b;
      return;
    }
  }
  EXPECT_EQ(want, got) << what;  // also catches a missing final newline
}

struct Scenario {
  std::string name, dump, golden_dir;
};

std::vector<Scenario> x86_scenarios() {
  std::vector<Scenario> out;
  fs::path g = testdata_path("x86_64/golden");
  if (!fs::is_directory(g)) return out;
  for (const auto& d : fs::directory_iterator(g)) {
    std::string name = d.path().filename().string();
    std::string dump = testdata_path("x86_64/" + name + "/vmcore-d31.kdump");
    if (fs::exists(d.path() / "crash.txt") && fs::exists(dump)) out.push_back({name, dump, d.path().string()});
  }
  std::sort(out.begin(), out.end(), [](const Scenario& a, const Scenario& b) { return a.name < b.name; });
  return out;
}

// One record of crash's log, reassembled from crash.txt's `log` and `log -m -d -t`.
struct GoldenRecord {
  std::string ts;                 // "[    0.000000] "
  std::string level;              // "<6>"
  std::string text;               // one line (these logs hold no multi-line record)
  std::vector<std::string> dict;  // "SUBSYSTEM=pci"
};

std::vector<GoldenRecord> golden_records(const Scenario& s) {
  std::vector<GoldenRecord> recs;
  auto plain = lines_of(crash_section(slurp(s.golden_dir + "/crash.txt"), "log"));
  auto mdt = lines_of(golden_body(s.golden_dir + "/crash-log-m-d-t.txt"));
  const std::regex rec_re(R"(^<([0-7])>(.*)$)"), dict_re(R"(^   ([A-Z]+=.*)$)"), ts_re(R"(^(\[ *\d+\.\d{6}\] )(.*)$)");
  std::smatch m;
  for (const auto& l : mdt) {
    if (std::regex_match(l, m, rec_re)) {
      recs.push_back({"", "<" + m[1].str() + ">", m[2], {}});
    } else if (std::regex_match(l, m, dict_re) && !recs.empty()) {
      recs.back().dict.push_back(m[1]);
    } else {
      ADD_FAILURE() << s.name << ": unexpected line in crash-log-m-d-t.txt: " << l;
    }
  }
  EXPECT_EQ(recs.size(), plain.size()) << s.name << ": crash's log and log -m -d -t disagree on the record count";
  for (size_t i = 0; i < std::min(recs.size(), plain.size()); i++) {
    if (!std::regex_match(plain[i], m, ts_re) || m[2] != recs[i].text) {
      ADD_FAILURE() << s.name << ": crash's two goldens disagree at record " << i << ": " << plain[i];
      break;
    }
    recs[i].ts = m[1];
  }
  return recs;
}

// crash's format for the option set (printk.c's dump_record): timestamp, level, text, and the
// dictionary indented by the width of what precedes the text.
std::string render(const std::vector<GoldenRecord>& recs, bool t, bool m, bool d) {
  std::string out;
  for (const auto& r : recs) {
    std::string prefix = (t ? "" : r.ts) + (m ? r.level : "");
    out += prefix + r.text + "\n";
    if (d)
      for (const auto& kv : r.dict) out += std::string(prefix.size(), ' ') + kv + "\n";
  }
  return out;
}

// The present pages and VMCOREINFO of a real dump, to be written again by the test writer.
kdx::test::SynthMemory synth_from_dump(const std::string& path) {
  kdx::test::SynthMemory m;
  auto d = kdx::dump::open_dump({path});
  EXPECT_TRUE(d) << d.error().to_string();
  if (!d || !(*d)->vmcoreinfo()) return m;
  m.arch = "x86_64";
  m.page_size = (*d)->page_size();
  m.vmcoreinfo = (*d)->vmcoreinfo()->text();
  std::vector<uint8_t> page(m.page_size);
  for (const auto& range : (*d)->phys_ranges())
    for (uint64_t p = range.start; p < range.end; p += m.page_size) {
      m.max_pfn = std::max(m.max_pfn, p / m.page_size + 1);
      if ((*d)->page_state(p) != kdx::PageState::Present) continue;
      EXPECT_TRUE((*d)->read_phys(p, page));
      m.pages[p / m.page_size] = page;
    }
  EXPECT_GT(m.pages.size(), 100u);
  return m;
}

}  // namespace

// Every x86_64 scenario: kdx log (no vmlinux: VMCOREINFO alone) equals crash's `log` and
// `log -m -d -t` exactly, and every other combination of -t/-m/-d equals crash's format
// applied to the records of those two goldens.
TEST(LogGolden, EveryX86ScenarioEqualsCrash) {
  auto scen = x86_scenarios();
  if (scen.empty()) GTEST_SKIP() << "no x86_64 goldens";
  EXPECT_EQ(scen.size(), 10u);
  for (const auto& s : scen) {
    SCOPED_TRACE(s.name);
    ASSERT_TRUE(fs::exists(s.golden_dir + "/crash-log-m-d-t.txt")) << "run testdata/gen/log-golden.sh " << s.name;
    auto plain = run_kdx("log " + s.dump);
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    expect_same_lines(crash_section(slurp(s.golden_dir + "/crash.txt"), "log"), plain.out, s.name + ": log");
    auto mdt = run_kdx("log -m -d -t " + s.dump);
    ASSERT_EQ(mdt.exit_code, 0) << mdt.err;
    expect_same_lines(golden_body(s.golden_dir + "/crash-log-m-d-t.txt"), mdt.out, s.name + ": log -m -d -t");

    auto recs = golden_records(s);
    EXPECT_GT(recs.size(), 150u);
    size_t with_dict = 0;
    for (const auto& r : recs) with_dict += !r.dict.empty();
    EXPECT_GT(with_dict, 20u) << "the goldens should hold dev_printk_info dictionaries (PCI devices)";
    for (int bits = 1; bits < 8; bits++) {
      bool t = bits & 1, m = bits & 2, d = bits & 4;
      if (t && m && d) continue;  // compared with crash's own output above
      std::string opts = std::string(t ? " -t" : "") + (m ? " -m" : "") + (d ? " -d" : "");
      auto r = run_kdx("log" + opts + " " + s.dump);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      expect_same_lines(render(recs, t, m, d), r.out, s.name + ": log" + opts);
    }
  }
}

// -T: crash prints ctime(boot + whole seconds); kdx too, but kdx's boot time comes from the
// timekeeper (with vmlinux) or the dump time minus the last timestamp, crash's from its date
// minus a jiffies uptime computed with HZ=1000 (this kernel has HZ=250: crash's `sys` says
// UPTIME 00:03:45 for a 2-second run). So the dates differ by one constant, and kdx's newest
// record lands at crash's DATE (the dump's wall clock).
TEST(LogGolden, HumanTimeDiffersFromCrashOnlyByItsBootTime) {
  const std::string dir = testdata_path("x86_64/golden/null");
  const std::string dump = testdata_path("x86_64/null/vmcore-d31.kdump");
  if (!fs::exists(dir + "/crash-log-T-m-d.txt") || !fs::exists(dump)) GTEST_SKIP() << "no null golden";
  auto parse = [](const std::string& line, std::string& rest) -> std::optional<int64_t> {
    size_t close = line.find("] ");
    if (line.empty() || line[0] != '[' || close == std::string::npos) return std::nullopt;
    struct tm tm {};
    const std::string date = line.substr(1, close - 1);
    const char* e = strptime(date.c_str(), "%a %b %e %H:%M:%S UTC %Y", &tm);
    if (!e || *e) return std::nullopt;
    rest = line.substr(close + 2);
    return int64_t(timegm(&tm));
  };
  auto crash_date = [&](const std::string& crash_txt, const char* key) {
    std::smatch m;
    std::string s = crash_txt;
    std::regex_search(s, m, std::regex(std::string(key) + R"(: (.*))"));
    return m[1].str();
  };
  const std::string crash_txt = slurp(dir + "/crash.txt");
  struct tm dt {};
  ASSERT_TRUE(strptime(crash_date(crash_txt, "DATE").c_str(), "%a %b %e %H:%M:%S UTC %Y", &dt));
  const int64_t crash_wall = timegm(&dt);

  // Without a vmlinux these dumps carry no wall clock (no CRASHTIME, header timestamp 0):
  // kdx says so and prints seconds since boot rather than inventing a date.
  auto plain = run_kdx("log -T -m -d " + dump);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_NE(plain.err.find("-T: no crash time"), std::string::npos) << plain.err;
  EXPECT_EQ(plain.out, run_kdx("log -m -d " + dump).out);
  {
    auto r = run_kdx("log -T -m -d " + dump + " " + testdata_path("x86_64/vmlinux.xz"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto want = lines_of(golden_body(dir + "/crash-log-T-m-d.txt")), got = lines_of(r.out);
    ASSERT_EQ(want.size(), got.size());
    std::optional<int64_t> shift;
    int64_t last = 0;
    size_t dated = 0;
    for (size_t i = 0; i < want.size(); i++) {
      std::string wr, gr;
      auto wt = parse(want[i], wr), gt = parse(got[i], gr);
      if (!wt) {  // a dictionary line: same text at the same indentation
        EXPECT_EQ(want[i], got[i]) << "line " << i + 1;
        continue;
      }
      ASSERT_TRUE(gt) << "line " << i + 1 << ": " << got[i];
      EXPECT_EQ(wr, gr) << "line " << i + 1;
      if (!shift) shift = *gt - *wt;
      EXPECT_EQ(*gt - *wt, *shift) << "line " << i + 1 << ": the date shift must be the same for every record";
      last = *gt;
      dated++;
    }
    EXPECT_GT(dated, 150u);
    // crash's boot time is off by its uptime error (225 s reported, ~2 s real).
    EXPECT_EQ(crash_date(crash_txt, "UPTIME"), "00:03:45");
    EXPECT_GE(*shift, 220);
    EXPECT_LE(*shift, 225);
    EXPECT_LE(std::abs(last - crash_wall), 2) << "kdx's newest record should be at the dump's wall clock";
  }
}

// The same log from every format the null crash was saved in, without a vmlinux: kdump zlib,
// lzo, flattened, split, makedumpfile ELF, QEMU's ELF (physical only and paging), and the
// real dump's pages re-encoded as kdump snappy and zstd by the test's own writer.
TEST(LogGolden, EveryDumpFormatGivesTheSameLog) {
  const std::string x = testdata_path("x86_64/null/");
  if (!fs::exists(x + "vmcore-d31.kdump")) GTEST_SKIP() << "no x86_64/null fixture";
  const std::string want = crash_section(slurp(testdata_path("x86_64/golden/null/crash.txt")), "log");
  ASSERT_GT(want.size(), 5000u);
  std::vector<std::string> inputs = {x + "vmcore-d31.kdump", x + "vmcore-d31-lzo.kdump", x + "vmcore-d31.flat",
                                     x + "vmcore-d31-split.1 " + x + "vmcore-d31-split.2",
                                     x + "vmcore-d31-split.2 " + x + "vmcore-d31-split.1"};
  for (const char* xz : {"vmcore-d31.elf.xz", "vmcore.elf.xz", "vmcore.elf-paging.xz"}) {
    std::string out = kdx::test::temp_path(std::string(xz).substr(0, std::string(xz).size() - 3));
    ASSERT_EQ(std::system(("xz -dc '" + x + xz + "' > '" + out + "'").c_str()), 0) << xz;
    inputs.push_back(out);
  }
  // Snappy and zstd: no fixture was written with them (makedumpfile -p/-z), so the real
  // dump's present pages and VMCOREINFO are written again in those codecs.
  kdx::test::SynthMemory m;
  ASSERT_NO_FATAL_FAILURE(m = synth_from_dump(x + "vmcore-d31.kdump"));
  for (const char* codec : {"snappy", "zstd"}) {
    kdx::test::KdumpOptions o;
    o.codec = codec;
    std::string out = kdx::test::temp_path(std::string("null-") + codec + ".kdump");
    kdx::test::write_file(out, kdx::test::write_kdump(m, o));
    inputs.push_back(out);
  }
  for (const auto& in : inputs) {
    SCOPED_TRACE(in);
    auto r = run_kdx("log " + in);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    expect_same_lines(want, r.out, in);
  }
  for (size_t i = 5; i < inputs.size(); i++) std::remove(inputs[i].c_str());
}

// --json on a real dump: one object per record, the fields the issue names, the same records
// as the text log.
TEST(LogGolden, JsonCarriesEveryFieldOfEveryRecord) {
  const std::string dump = testdata_path("x86_64/null/vmcore-d31.kdump");
  if (!fs::exists(dump)) GTEST_SKIP();
  auto r = run_kdx("log --json " + dump);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  auto recs = golden_records({"null", dump, testdata_path("x86_64/golden/null")});
  ASSERT_EQ(j.size(), recs.size());
  uint64_t prev_seq = 0;
  size_t dicts = 0;
  for (size_t i = 0; i < j.size(); i++) {
    const auto& o = j[i];
    for (const char* k : {"seq", "ts", "ts_nsec", "level", "facility", "caller", "text", "dictionary"})
      ASSERT_TRUE(o.contains(k)) << k << " in " << o.dump();
    if (i) {
      EXPECT_EQ(o["seq"].get<uint64_t>(), prev_seq + 1) << "records are consecutive";
    }
    prev_seq = o["seq"];
    EXPECT_EQ(o["text"], recs[i].text);
    EXPECT_EQ("<" + std::to_string(o["level"].get<int>()) + ">", recs[i].level);
    EXPECT_EQ(o["facility"], 0);  // kernel messages
    char ts[32];
    snprintf(ts, sizeof ts, "[%5llu.%06llu] ", (unsigned long long)(o["ts_nsec"].get<uint64_t>() / 1000000000),
             (unsigned long long)(o["ts_nsec"].get<uint64_t>() % 1000000000 / 1000));
    EXPECT_EQ(ts, recs[i].ts);
    EXPECT_NEAR(o["ts"].get<double>(), o["ts_nsec"].get<uint64_t>() / 1e9, 1e-6);
    // One CPU: the caller is a task (T<pid>) or CPU 0 (C0, interrupt context).
    std::string c = o["caller"];
    EXPECT_TRUE(std::regex_match(c, std::regex(R"(T\d+|C0)"))) << c;
    EXPECT_EQ(c[0] == 'T', o.contains("caller_pid"));
    std::vector<std::string> kv;
    for (auto& [k, v] : o["dictionary"].items()) kv.push_back(k + "=" + v.get<std::string>());
    std::sort(kv.begin(), kv.end());
    auto want = recs[i].dict;
    std::sort(want.begin(), want.end());
    EXPECT_EQ(kv, want) << i;
    dicts += !kv.empty();
  }
  EXPECT_GT(dicts, 20u);
  // The panic is logged by the crashing task (init, PID 1).
  EXPECT_EQ(j.back()["text"], "Kernel panic - not syncing: Fatal exception");
  EXPECT_EQ(j.back()["caller"], "T1");
}

// -c: the caller column of later crash versions ("[%6s] " for pid_max <= 99999).
TEST(LogGolden, CallerColumn) {
  const std::string dump = testdata_path("x86_64/null/vmcore-d31.kdump");
  if (!fs::exists(dump)) GTEST_SKIP();
  auto r = run_kdx("log -c " + dump + " " + testdata_path("x86_64/vmlinux.xz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto got = lines_of(r.out);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back(), "[    1.900085] [    T1] Kernel panic - not syncing: Fatal exception");
  size_t n = 0;
  for (const auto& l : got) n += std::regex_match(l, std::regex(R"(\[ *\d+\.\d{6}\] \[ *[TC]\d+\] .*)"));
  EXPECT_EQ(n, got.size());
}

// arm64 (crash reads x86_64 only): every line the serial console printed is a record of kdx's
// log, in order and with the same timestamp, and every record the console should have shown
// (level < 7, console_loglevel's default) is on the console.
TEST(LogGolden, Arm64DumpsMatchTheirConsole) {
  std::vector<std::pair<std::string, std::string>> cases;  // dump, console
  for (const char* s : {"null", "smp_null", "hrtimer_uaf"}) {
    std::string dir = testdata_path(std::string("arm64/") + s + "/");
    if (fs::exists(dir + "vmcore-qemu-zlib.flat")) cases.push_back({dir + "vmcore-qemu-zlib.flat", dir + "console.log"});
  }
  if (cases.empty()) GTEST_SKIP() << "no arm64 fixtures";
  std::string elf = kdx::test::temp_path("arm64-null.elf");
  if (fs::exists(testdata_path("arm64/null/vmcore.elf.xz"))) {
    ASSERT_EQ(std::system(("xz -dc '" + testdata_path("arm64/null/vmcore.elf.xz") + "' > '" + elf + "'").c_str()), 0);
    cases.push_back({elf, testdata_path("arm64/null/console.log")});
  }
  const std::regex kline(R"(^(\[ *\d+\.\d{6}\] )(.*?)\r?$)");
  for (const auto& [dump, console] : cases) {
    SCOPED_TRACE(dump);
    auto r = run_kdx("log -m " + dump);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // kdx's records as the console would print them: "[ts] text", level < 7 only.
    std::vector<std::string> shown;
    const std::regex rec(R"(^(\[ *\d+\.\d{6}\] )<([0-7])>(.*)$)");
    std::smatch m;
    for (const auto& l : lines_of(r.out)) {
      ASSERT_TRUE(std::regex_match(l, m, rec)) << l;
      if (std::stoi(m[2]) < 7) shown.push_back(m[1].str() + m[3].str());
    }
    std::vector<std::string> printed;
    for (const auto& l : lines_of(slurp(console)))
      if (std::regex_match(l, m, kline)) printed.push_back(m[1].str() + m[2].str());
    ASSERT_GT(printed.size(), 100u);
    expect_same_lines([&] { std::string s; for (auto& p : printed) s += p + "\n"; return s; }(),
                      [&] { std::string s; for (auto& p : shown) s += p + "\n"; return s; }(), dump);
  }
  std::remove(elf.c_str());
}

// "Layout from VMCOREINFO first, DWARF second" on the real dump: with every printk entry
// removed from its VMCOREINFO, the vmlinux's DWARF (and symbol prb) give the same log.
TEST(LogGolden, DwarfAloneGivesTheSameLogAsVmcoreinfo) {
  const std::string dump = testdata_path("x86_64/null/vmcore-d31.kdump");
  const std::string vmlinux = testdata_path("x86_64/vmlinux.xz");
  if (!fs::exists(dump) || !fs::exists(vmlinux)) GTEST_SKIP();
  auto d = kdx::dump::open_dump({dump});
  ASSERT_TRUE(d) << d.error().to_string();
  kdx::symbols::OpenOptions so;
  so.cache_dir = std::string(KDX_BINARY_DIR) + "/kdx-cache";
  so.use_debuginfod = false;
  auto s = kdx::symbols::KernelSymbols::open(vmlinux, so);
  ASSERT_TRUE(s) << s.error().to_string();
  kdx::symbols::KernelSymbols* syms = s->get();
  auto t = kdx::analysis::Target::open(std::move(*d), std::move(*s));
  ASSERT_TRUE(t) << t.error().to_string();
  auto mem = (*t)->memory();
  ASSERT_TRUE(mem) << mem.error().to_string();

  std::string stripped;
  size_t removed = 0;
  for (const auto& line : lines_of((*t)->vmcoreinfo().text())) {
    if (std::regex_search(line, std::regex(R"(printk|prb|atomic_long_t|SYMBOL\(log_)"))) {
      removed++;
      continue;
    }
    stripped += line + "\n";
  }
  EXPECT_GT(removed, 20u);
  auto bare = kdx::dump::Vmcoreinfo::parse(stripped);
  struct Dwarf : kdx::kernel::TypeLayout {
    kdx::symbols::KernelSymbols* s;
    kdx::Result<uint64_t> member_offset(std::string_view t, std::string_view m) override { return s->member_offset(t, m); }
    kdx::Result<uint64_t> type_size(std::string_view t) override { return s->type_size(t); }
    kdx::Result<uint64_t> symbol_address(std::string_view n) override { return s->symbol_address(n); }
  } dwarf;
  dwarf.s = syms;
  kdx::kernel::VmcoreinfoLayout chain(bare, &dwarf);
  auto log = kdx::kernel::read_kernel_log(**mem, chain);
  ASSERT_TRUE(log) << log.error().to_string();
  EXPECT_EQ(log->skipped, 0u);
  expect_same_lines(crash_section(slurp(testdata_path("x86_64/golden/null/crash.txt")), "log"),
                    kdx::kernel::format_kernel_log(*log, {}), "log from DWARF layout");
  // Without the fallback the stripped VMCOREINFO says what is missing.
  kdx::kernel::VmcoreinfoLayout alone(bare, nullptr);
  auto none = kdx::kernel::read_kernel_log(**mem, alone);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("prb or log_buf"), std::string::npos) << none.error().message;
}

// Damage planted in the real ring buffer (null dump, written again as kdump zlib): a
// descriptor whose id was reused and a text block owned by another id are skipped and
// counted (exit 1, note on stderr); a record with invalid UTF-8 and a control byte prints
// with '.' like crash, and --json replaces the bad bytes instead of failing. Every other
// record is still crash's line.
TEST(LogGolden, DamageInARealRingIsSkippedAndCounted) {
  const std::string dump = testdata_path("x86_64/null/vmcore-d31.kdump");
  if (!fs::exists(dump)) GTEST_SKIP();
  kdx::test::SynthMemory m;
  ASSERT_NO_FATAL_FAILURE(m = synth_from_dump(dump));
  auto d = kdx::dump::open_dump({dump});
  ASSERT_TRUE(d);
  auto t = kdx::analysis::Target::open(std::move(*d), nullptr);
  ASSERT_TRUE(t) << t.error().to_string();
  auto mem = (*t)->memory();
  ASSERT_TRUE(mem) << mem.error().to_string();
  auto& vmi = (*t)->vmcoreinfo();
  auto L = kdx::kernel::printk_ring_layout_from_vmcoreinfo(vmi);
  ASSERT_TRUE(L) << L.error().to_string();
  auto rd = [&](uint64_t va) { return (*mem)->read_u64(va).value_or(0); };
  const uint64_t rb = rd(*vmi.symbol("prb"));
  const uint64_t descs = rd(rb + L->prb_desc_ring + L->desc_ring_descs);
  const uint64_t tail = rd(rb + L->prb_desc_ring + L->desc_ring_tail_id + L->atomic_long_counter);
  const uint64_t count = uint64_t(1) << ((*mem)->read<uint32_t>(rb + L->prb_desc_ring + L->desc_ring_count_bits).value_or(0));
  const uint64_t data = rd(rb + L->prb_text_data_ring + L->data_ring_data);
  const uint64_t dsize = uint64_t(1) << ((*mem)->read<uint32_t>(rb + L->prb_text_data_ring + L->data_ring_size_bits).value_or(0));
  ASSERT_GT(count, 8u);
  auto poke = [&](uint64_t va, const std::string& bytes) {
    for (size_t i = 0; i < bytes.size(); i++) {
      auto pa = (*mem)->translate(va + i);
      ASSERT_TRUE(pa) << pa.error().to_string();
      m.pages.at(*pa / m.page_size).at(*pa % m.page_size) = uint8_t(bytes[i]);
    }
  };
  auto desc = [&](uint64_t id) { return descs + (id % count) * L->desc_size; };
  auto text_at = [&](uint64_t id) { return data + rd(desc(id) + L->desc_text_blk_lpos + L->lpos_begin) % dsize; };
  auto u64 = [](uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); };
  // The log's line i is the record with seq i (seq starts at 0 in this boot: see the JSON test).
  const uint64_t infos = rd(rb + L->prb_desc_ring + L->desc_ring_infos);
  auto seq_of = [&](uint64_t id) { return rd(infos + (id % count) * L->info_size + L->info_seq); };
  const uint64_t id_bad = tail + 50, id_reused = tail + 60, id_stolen = tail + 70;
  const uint64_t bad_utf8 = seq_of(id_bad), reused = seq_of(id_reused), stolen = seq_of(id_stolen);
  ASSERT_EQ(reused, bad_utf8 + 10);
  ASSERT_EQ(stolen, bad_utf8 + 20);
  poke(text_at(id_bad) + 8, std::string("\xff\xfe bad \x01", 8));
  poke(desc(id_reused) + L->desc_state_var, u64((uint64_t(2) << 62) | (id_reused + count)));
  poke(text_at(id_stolen), u64(id_stolen + count));
  std::string out = kdx::test::temp_path("null-damaged.kdump");
  kdx::test::write_file(out, kdx::test::write_kdump(m));

  auto want = lines_of(crash_section(slurp(testdata_path("x86_64/golden/null/crash.txt")), "log"));
  ASSERT_GT(want.size(), stolen);
  std::string expect;
  for (size_t i = 0; i < want.size(); i++) {
    if (i == reused || i == stolen) continue;
    std::string l = want[i];
    if (i == bad_utf8) l.replace(15, 8, ".. bad .");
    expect += l + "\n";
  }
  auto r = run_kdx("log " + out);
  EXPECT_EQ(r.exit_code, 1) << r.err;  // partial
  EXPECT_NE(r.err.find("2 records skipped"), std::string::npos) << r.err;
  expect_same_lines(expect, r.out, "damaged ring");
  auto j = run_kdx("log --json " + out);
  EXPECT_EQ(j.exit_code, 1);
  auto arr = nlohmann::json::parse(j.out);
  ASSERT_EQ(arr.size(), want.size() - 2);
  std::string text = arr[bad_utf8]["text"];
  EXPECT_EQ(text.substr(0, 12), "\xef\xbf\xbd\xef\xbf\xbd bad \x01") << text;
  EXPECT_EQ(arr[reused]["seq"], reused + 1);  // the gap shows in seq
  EXPECT_EQ(arr[reused - 1]["seq"], reused - 1);
  std::remove(out.c_str());
}

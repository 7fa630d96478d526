// `kdx p`: globals from the real dumps against drgn's golden values, member paths, per-CPU
// variables (x86_64's zero-based and arm64's in-image .data..percpu) and unknown names.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "support/paths.hpp"

using kdx::test::run_kdx;
using kdx::test::testdata_path;

namespace {

std::string x86() { return testdata_path("x86_64/null/vmcore-d31.kdump") + " " + testdata_path("x86_64/vmlinux.xz"); }

// "name = value" from drgn's golden file.
std::string drgn_value(const std::string& name) {
  std::ifstream in(testdata_path("x86_64/golden/null/drgn.txt"));
  for (std::string l; std::getline(in, l);)
    if (l.rfind(name + " = ", 0) == 0) return l.substr(name.size() + 3);
  return "";
}

}  // namespace

TEST(PrintCli, ScalarsMatchDrgn) {
  std::string j = drgn_value("jiffies_64");
  ASSERT_FALSE(j.empty());
  auto r = run_kdx("p jiffies_64 " + x86());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "jiffies_64 = " + std::to_string(std::stoull(j, nullptr, 16)) + "\n") << " vs drgn " << j;

  auto n = run_kdx("p nr_cpu_ids " + x86());
  EXPECT_EQ(n.out, "nr_cpu_ids = " + drgn_value("nr_cpu_ids") + "\n");

  auto p = run_kdx("p panic_cpu " + x86());  // atomic_t: a typedef of a struct
  EXPECT_NE(p.out.find("counter = " + drgn_value("panic_cpu")), std::string::npos) << p.out;
}

TEST(PrintCli, MemberPathsStringsAndStructs) {
  auto r = run_kdx("p init_uts_ns.name.release " + x86());
  EXPECT_EQ(r.out, "init_uts_ns.name.release = \"6.1.192\"\n");
  auto b = run_kdx("p linux_banner " + x86());
  EXPECT_NE(b.out.find("linux_banner = \"Linux version 6.1.192 "), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("\\012\"\n"), std::string::npos) << b.out;  // the trailing newline escaped, as gdb does
  auto m = run_kdx("p modules " + x86());
  EXPECT_NE(m.out.find("modules = {\n  next = "), std::string::npos) << m.out;
  EXPECT_NE(m.out.find("<__this_module+8>"), std::string::npos) << m.out;
}

TEST(PrintCli, PerCpuVariables) {
  // x86_64: current_task on CPU 0 is the crashed task ps marks with '>'.
  auto ps = run_kdx("ps " + x86());
  std::smatch m;
  ASSERT_TRUE(std::regex_search(ps.out, m, std::regex(R"(>\s+\d+\s+\d+\s+0\s+([0-9a-f]{16}))"))) << ps.out;
  auto r = run_kdx("p current_task " + x86());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("PER-CPU DATA TYPE:"), std::string::npos);
  EXPECT_NE(r.out.find("current_task = 0x" + m[1].str() + "\n"), std::string::npos) << r.out;

  // arm64, two CPUs: cpu_number holds each CPU's own number.
  std::string arm = testdata_path("arm64/smp_null/vmcore-qemu-zlib.flat") + " " + testdata_path("arm64/vmlinux.xz");
  auto a = run_kdx("p cpu_number " + arm);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  std::regex row(R"(\[(\d)\]: [0-9a-f]+\n  cpu_number = (\d)\n)");
  int rows = 0;
  for (std::sregex_iterator it(a.out.begin(), a.out.end(), row), end; it != end; ++it, ++rows)
    EXPECT_EQ((*it)[1].str(), (*it)[2].str()) << a.out;
  EXPECT_EQ(rows, 2) << a.out;
  auto one = run_kdx("p cpu_number -c 1 " + arm);
  EXPECT_NE(one.out.find("cpu_number = 1\n"), std::string::npos);
  EXPECT_EQ(one.out.find("[0]"), std::string::npos);
}

TEST(PrintCli, UnknownVariable) {
  auto r = run_kdx("p no_such_variable_xyz " + x86());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no_such_variable_xyz"), std::string::npos) << r.err;
  auto nomember = run_kdx("p init_uts_ns.no_such_member " + x86());
  EXPECT_NE(nomember.exit_code, 0);
  EXPECT_NE(nomember.err.find("no_such_member"), std::string::npos) << nomember.err;
}

// Tests of the report formatters: every section appears, JSON keys are stable and typed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "kdx/report/report.hpp"

using namespace kdx::report;

static Report sample() {
  Report r;
  r.system.release = "6.1.0-kdx";
  r.system.arch = "x86_64";
  r.system.cpus = 2;
  r.title = "BUG: kernel NULL pointer dereference in kdxcrash_null";
  r.type = "NULL pointer dereference";
  r.panic_message = "Fatal exception";
  r.crashed_cpu = 1;
  r.fault.kind = "page fault";
  r.fault.address = 8;
  r.fault.address_class = "NULL + 0x8";
  Frame f;
  f.level = 0;
  f.pc = 0xffffffffc0000004;
  f.function = "kdxcrash_null";
  f.offset = 4;
  f.module = "kdxcrash";
  f.file = "kdxcrash.c";
  f.line = 42;
  r.backtrace.push_back(f);
  kdx::analysis::Provenance p;
  p.bad_register = "rbx";
  p.bad_value = 0;
  p.access = "read";
  p.chain.push_back({0xffffffffc0000000, "mov rbx, qword ptr [rdi + 0x10]", "rbx", "loaded from memory at [rdi + 0x10]", {}});
  r.provenance = p;
  return r;
}

TEST(ReportText, HasEverySection) {
  std::string t = format_text(sample());
  for (const char* s : {"RELEASE: 6.1.0-kdx", "title: BUG: kernel NULL pointer dereference in kdxcrash_null", "FAULT",
                        "NULL + 0x8", "BACKTRACE", "kdxcrash_null+0x4", "[kdxcrash]", "kdxcrash.c:42",
                        "REGISTER PROVENANCE", "rbx <- 0xffffffffc0000000: mov rbx"})
    EXPECT_NE(t.find(s), std::string::npos) << "missing '" << s << "' in\n" << t;
}

TEST(ReportJson, SchemaAndTypedKeys) {
  auto j = nlohmann::json::parse(format_json(sample()));
  EXPECT_EQ(j["schema"], kReportSchema);
  EXPECT_EQ(j["title"], "BUG: kernel NULL pointer dereference in kdxcrash_null");
  EXPECT_EQ(j["crashed_cpu"], 1);
  EXPECT_EQ(j["backtrace"][0]["module"], "kdxcrash");
  EXPECT_EQ(j["provenance"]["register"], "rbx");
  EXPECT_TRUE(j["system"]["crash_time"].is_null());
  Report empty;
  auto e = nlohmann::json::parse(format_json(empty));
  EXPECT_TRUE(e["title"].is_null());
  EXPECT_TRUE(e["backtrace"].is_array());
}

// kdx info / rd -p end to end on synthetic dumps, content classification, and the rd line format.
#include <gtest/gtest.h>
#include <lzma.h>

#include <nlohmann/json.hpp>

#include "kdx/dump/file_kind.hpp"
#include "kdx/report/memory_dump.hpp"
#include "support/dump_writer_check.hpp"

using namespace kdx;
using namespace kdx::test;

namespace {
std::string put(const Bytes& b, const std::string& stem) {
  std::string p = temp_path(stem);
  write_file(p, b);
  return p;
}
Bytes xz(const Bytes& in) {
  Bytes out(in.size() + 4096);
  size_t pos = 0;
  EXPECT_EQ(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, nullptr, in.data(), in.size(), out.data(), &pos, out.size()),
            LZMA_OK);
  out.resize(pos);
  return out;
}
}  // namespace

TEST(DumpCli, InfoJsonHasExactlyTheDocumentedKeys) {
  auto m = make_memory("x86_64", 64);
  auto path = put(flatten(write_kdump(m, {})), "info-json");
  auto r = run_kdx("info --json " + path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  std::set<std::string> keys;
  for (auto& [k, v] : j.items()) keys.insert(k);
  EXPECT_EQ(keys, (std::set<std::string>{"format", "flattened", "split", "compression", "arch", "page_size", "release",
                                         "crash_time", "cpus", "crashed_cpu", "vmcoreinfo", "pages", "phys_ranges"}));
  EXPECT_EQ(j["format"], "kdump");
  EXPECT_EQ(j["flattened"], true);
  EXPECT_EQ(j["split"], false);
  EXPECT_EQ(j["compression"], nlohmann::json::array({"zlib"}));
  EXPECT_EQ(j["arch"], "x86_64");
  EXPECT_EQ(j["page_size"], 4096);
  EXPECT_EQ(j["release"], "6.1.0-test");
  EXPECT_EQ(j["crash_time"], 1733400000);
  EXPECT_EQ(j["cpus"], 2);
  EXPECT_EQ(j["crashed_cpu"], 1);
  EXPECT_EQ(j["vmcoreinfo"], true);
  EXPECT_EQ(j["pages"]["present"], m.pages.size());
  EXPECT_EQ(j["pages"]["excluded"], m.excluded.size());
  EXPECT_EQ(j["pages"]["missing"], 0);
  ASSERT_EQ(j["phys_ranges"].size(), 2u);
  EXPECT_EQ(j["phys_ranges"][0]["start"], 0);
}

TEST(DumpCli, InfoOnElfAndSplitText) {
  auto m = make_memory("arm64", 64);
  auto elf = put(write_elf(m), "info-elf");
  auto r = run_kdx("info " + elf);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("format:       elf"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("arm64"), std::string::npos);
  EXPECT_NE(r.out.find("6.1.0-test"), std::string::npos);
  auto parts = write_kdump_split(m, {}, 2);
  auto a = put(parts[0], "info-split-a"), b = put(parts[1], "info-split-b");
  auto j = nlohmann::json::parse(run_kdx("info --json " + b + " " + a).out);
  EXPECT_EQ(j["split"], true);
  EXPECT_EQ(j["format"], "kdump");
}

TEST(DumpCli, FilesAreRecognisedByContentInAnyOrder) {
  auto m = make_memory("x86_64", 16);
  auto dumpfile = put(write_elf(m), "order-dump.txt");  // the name says nothing true
  Bytes vmlinux = write_elf(m);
  put_le(vmlinux, 16, 2, 2);  // ET_EXEC
  auto vml = put(vmlinux, "order-vmcore");
  auto r1 = run_kdx("info --json " + dumpfile + " " + vml);
  auto r2 = run_kdx("info --json " + vml + " " + dumpfile);
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  EXPECT_EQ(r1.out, r2.out);
}

TEST(DumpCli, FileKinds) {
  using dump::FileKind;
  auto m = make_memory("x86_64", 8);
  Bytes elf = write_elf(m);
  EXPECT_EQ(dump::classify_bytes(elf).kind, FileKind::Dump);
  EXPECT_EQ(dump::classify_bytes(write_kdump(m, {})).kind, FileKind::Dump);
  EXPECT_EQ(dump::classify_bytes(flatten(write_kdump(m, {}))).kind, FileKind::Dump);
  Bytes exec = elf;
  put_le(exec, 16, 3, 2);  // ET_DYN (a relocatable-kernel vmlinux)
  EXPECT_EQ(dump::classify_bytes(exec).kind, FileKind::Vmlinux);
  Bytes ko = elf;
  put_le(ko, 16, 1, 2);  // ET_REL
  EXPECT_EQ(dump::classify_bytes(ko).kind, FileKind::Module);
  auto cx = dump::classify_bytes(xz(ko));
  EXPECT_TRUE(cx.xz);
  EXPECT_EQ(cx.kind, FileKind::Module);
  std::string log = "[    0.000000] Linux version 6.1.0\n[    1.0] BUG: kernel NULL pointer dereference\n";
  EXPECT_EQ(dump::classify_bytes(Bytes(log.begin(), log.end())).kind, FileKind::ConsoleLog);
  EXPECT_EQ(dump::classify_bytes(Bytes{0, 1, 2, 3, 0xff}).kind, FileKind::Unknown);
  EXPECT_EQ(dump::classify_bytes({}).kind, FileKind::Unknown);
}

TEST(DumpCli, RdPhysicalDefaultAndUnits) {
  auto m = make_memory("x86_64", 16);
  auto path = put(write_kdump(m, {}), "rd");
  const Bytes& p1 = m.pages.at(1);
  auto r = run_kdx("rd -p 1000 3 " + path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string expect = report::format_memory(0x1000, std::span<const uint8_t>(p1.data(), 24), {});
  EXPECT_EQ(r.out, expect);
  EXPECT_EQ(r.out.substr(0, 36), "            1000:  0000000000000001 ");
  auto r32 = run_kdx("rd -p -32 0x1004 2 " + path);
  ASSERT_EQ(r32.exit_code, 0) << r32.err;
  EXPECT_EQ(r32.out.substr(0, 36), "            1004:  00000000 " + fmt::format("{:02x}{:02x}{:02x}{:02x}", p1[11], p1[10], p1[9], p1[8]));
  auto r8 = run_kdx("rd " + path + " -p -8 1000 2");
  ASSERT_EQ(r8.exit_code, 0) << r8.err;
  EXPECT_EQ(r8.out.substr(0, 25), "            1000:  01 00 ");
  // An excluded page is reported as excluded (as crash does), not shown as the zeros it
  // reads as; a hole is an error after the part that was read.
  uint64_t ex = *m.excluded.begin();
  auto rz = run_kdx(fmt::format("rd -p {:x} 2 {}", ex * 4096, path));
  EXPECT_EQ(rz.exit_code, 3);
  EXPECT_NE(rz.err.find("page excluded"), std::string::npos) << rz.err;
  EXPECT_EQ(rz.out.find("0000000000000000 0000000000000000"), std::string::npos) << rz.out;
  auto rh = run_kdx(fmt::format("rd -p {:x} 4 {}", 16 * 4096 - 16, path));
  EXPECT_EQ(rh.exit_code, 1) << rh.err;
  EXPECT_NE(rh.err.find("hole"), std::string::npos) << rh.err;
}

TEST(MemoryDump, Formats) {
  Bytes b = {'H', 'e', 'l', 'l', 'o', 0, 1, 2, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0xff, 0xee};
  EXPECT_EQ(report::format_memory(0xffffffff81000000ull, b, {}),
            "ffffffff81000000:  0201006f6c6c6548 4847464544434241   Hello...ABCDEFGH\n");
  report::MemoryDumpOptions o16;
  o16.unit_bytes = 2;
  EXPECT_EQ(report::format_memory(0x10, b, o16),
            "              10:  6548 6c6c 006f 0201 4241 4443 4645 4847   Hello...ABCDEFGH\n"
            "              20:  eeff                                      ..\n");
  report::MemoryDumpOptions a;
  a.ascii_only = true;
  EXPECT_EQ(report::format_memory(0x10, b, a), "              10:  Hello\n");
}

// Unit tests of the pieces under the titler: prefix stripping, frame parsing, normalisation,
// x86/arm64 fault decoding, address classes and Code: decoding.
#include <gtest/gtest.h>

#include "kdx/analysis/code_decode.hpp"
#include "kdx/analysis/fault_decode.hpp"
#include "kdx/analysis/oops_lines.hpp"
#include "kdx/analysis/title_rules.hpp"

using namespace kdx::analysis;

TEST(OopsLines, StripsPrefixes) {
  auto l = split_console_log("<4>[  12.345678][ T123] BUG: x\nNov 22 06:53:47 host kernel: [ 1.0] WARNING: y\n"
                             "Kernel panic - not syncing: kernel: panic_on_warn set\n");
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].text, "BUG: x");
  EXPECT_EQ(l[0].caller, "T123");
  EXPECT_EQ(l[1].text, "WARNING: y");
  EXPECT_EQ(l[2].text, "Kernel panic - not syncing: kernel: panic_on_warn set");
}

TEST(OopsLines, ParsesFrameForms) {
  auto a = parse_frame(" [<ffffffff81687133>] ? dump_stack+0x19/0x1b [mod]");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->function, "dump_stack");
  EXPECT_FALSE(a->reliable);
  EXPECT_EQ(a->address.value_or(0), 0xffffffff81687133ULL);
  EXPECT_EQ(a->module, "mod");
  EXPECT_EQ(a->offset, 0x19u);
  auto b = parse_frame("RIP: 0010:nvme_queue_rq.cold+0x23/0x9d [nvme]");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->function, "nvme_queue_rq.cold");
  EXPECT_EQ(base_function(b->function), "nvme_queue_rq");
  auto c = parse_frame("  <ashmem_rust::Ashmem as kernel::miscdevice::MiscDevice>::mmap+0x10/0x20");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->function, "<ashmem_rust::Ashmem as kernel::miscdevice::MiscDevice>::mmap");
  auto d = parse_frame("    [exception RIP: kmem_cache_free+101]");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->function, "kmem_cache_free");
  EXPECT_EQ(d->offset, 101u);
  auto e = parse_frame("#10 [ffff8800517bb930] PoolFree at ffffffffa08374c9 [module]");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->function, "PoolFree");
  EXPECT_FALSE(parse_frame("RSP: 0018:ffffa763c332fcb0 EFLAGS: 00010246"));
  EXPECT_FALSE(parse_frame("kernel BUG at fs/ext4/inode.c:12!"));
}

TEST(OopsLines, NormalizesTitles) {
  EXPECT_EQ(normalize_title("KASAN: slab-out-of-bounds in ip6_fragment at addr ffff88000969e798"),
            "KASAN: slab-out-of-bounds in ip6_fragment at addr ADDR");
  EXPECT_EQ(normalize_title("INFO: Freed in fasync_free_rcu+0x14/0x20 age=57 cpu=0 pid=18338"),
            "INFO: Freed in fasync_free_rcu age=NUM cpu=NUM pid=NUM");
  EXPECT_EQ(normalize_title("kernel panic: at fs/x.c:123 oops"), "kernel panic: at fs/x.c:LINE oops");
  EXPECT_EQ(normalize_title("WARNING in ip6_fragment"), "WARNING in ip6_fragment");
  EXPECT_EQ(normalize_title(std::string(200, 'z')).size(), 120u);
}

TEST(OopsRules, TitleFunctionFoldsWrappers) {
  EXPECT_EQ(title_function("__x64_sys_recvmmsg"), "sys_recvmmsg");
  EXPECT_EQ(title_function("__se_sys_mremap"), "sys_mremap");
  EXPECT_EQ(title_function("smp_call_function_single.part.0"), "smp_call_function");
  EXPECT_TRUE(is_skipped_frame("_raw_spin_lock_irqsave"));
  EXPECT_TRUE(is_skipped_frame("kasan_report"));
  EXPECT_TRUE(is_skipped_frame("memcpy"));
  EXPECT_FALSE(is_skipped_frame("ip6_fragment"));
}

TEST(FaultDecode, X86ErrorCodeBits) {
  auto f = decode_x86_pf_error(0x15);
  ASSERT_GE(f.size(), 4u);
  EXPECT_EQ(f[0].meaning, "protection violation");
  EXPECT_EQ(f[1].meaning, "read");
  EXPECT_EQ(f[2].meaning, "user mode");
  EXPECT_EQ(f[3].name, "I/D");
}

TEST(FaultDecode, Arm64EsrDataAbortWrite) {
  auto f = decode_arm64_esr(0x96000047);
  auto get = [&](const char* n) {
    for (auto& x : f) if (x.name == n) return x.value + "|" + x.meaning;
    return std::string("missing");
  };
  EXPECT_EQ(get("EC"), "0x25|DABT (current EL)");
  EXPECT_EQ(get("DFSC"), "0x07|level 3 translation fault");
  EXPECT_EQ(get("WnR"), "1|write");
  EXPECT_EQ(arm64_fsc_text(0x0d), "level 1 permission fault");
  EXPECT_EQ(arm64_fsc_text(0x21), "alignment fault");
}

TEST(FaultDecode, AddressClasses) {
  EXPECT_EQ(classify_address("x86_64", 0x18), "null+offset");
  EXPECT_EQ(classify_address("x86_64", 0x7fff12345678ULL), "user");
  EXPECT_EQ(classify_address("x86_64", 0xdead000000000122ULL), "non-canonical");
  EXPECT_EQ(classify_address("x86_64", 0xffffffff81000000ULL), "kernel");
  EXPECT_EQ(classify_address("arm64", 0x0030343220706448ULL), "between user and kernel ranges");
  EXPECT_EQ(classify_address("arm64", 0xffff800008000000ULL), "kernel");
}

TEST(CodeDecode, X86MarkerFindsInstructionBoundary) {
  auto cd = decode_code_line("Code: 89 e5 48 83 ec 10 <0f> 0b 5d c3", "x86_64");
  ASSERT_TRUE(cd.error.empty()) << cd.error;
  bool found = false;
  for (auto& i : cd.insns) {
    if (i.faulting) {
      EXPECT_EQ(i.text, "ud2");
      EXPECT_EQ(i.offset, 0);
      found = true;
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(cd.insns.front().text, "mov ebp, esp");
}

TEST(CodeDecode, ArmThumbHalfwordMarker) {
  auto cd = decode_code_line("Code: 4770 b510 (6803) bd10", "arm");
  ASSERT_TRUE(cd.error.empty()) << cd.error;
  bool found = false;
  for (auto& i : cd.insns) found = found || (i.faulting && i.text.starts_with("ldr"));
  EXPECT_TRUE(found);
}

TEST(CodeDecode, BadLineGivesError) {
  auto cd = decode_code_line("Code: Bad RIP value.", "x86_64");
  EXPECT_FALSE(cd.error.empty());
  EXPECT_TRUE(cd.insns.empty());
  auto cd2 = decode_code_line("Code: 4 zz <q>", "");
  EXPECT_FALSE(cd2.error.empty());
}

#include <fstream>
#include <random>
#include <sstream>

#include "kdx/analysis/oops_report.hpp"
#include "support/paths.hpp"

// Truncated logs, binary noise and absurd lines must give a report (maybe empty), never a crash;
// run under ASan/UBSan in CI.
TEST(OopsHostile, TruncatedAndRandomInputs) {
  for (const char* name : {"seed003_x86_ro_write.log", "seed002_arm64_hrtimer.log", "seed001_list_corruption_then_paging.log"}) {
    std::ifstream in(kdx::test::source_path(std::string("tests/data/oops/") + name), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    ASSERT_FALSE(text.empty());
    size_t titled = 0;
    for (size_t cut = 0; cut <= text.size(); cut += 29) {
      auto r = analyze_log(std::string_view(text).substr(0, cut));
      titled += r.title.has_value();
    }
    EXPECT_GT(titled, 0u) << name;
  }
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 50; ++round) {
    std::string junk;
    for (int i = 0; i < 4000; ++i) junk += static_cast<char>(byte(rng));
    (void)analyze_log(junk);
  }
  auto r = analyze_log("Code: " + std::string(100000, '<') + "\nBUG: unable to handle page fault for address: " +
                       std::string(5000, 'f') + "\nRIP: 0010:" + std::string(3000, 'x') + "+0x1/0x2\n");
  EXPECT_TRUE(r.title.has_value());
  auto cd = decode_code_line("Code: <48> <89> (e5", "x86_64");
  (void)cd;
}

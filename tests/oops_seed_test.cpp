// The five seed investigations' logs (excerpts in tests/data/oops) must give the right title and fault decode.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "kdx/analysis/oops_report.hpp"
#include "support/paths.hpp"

using kdx::analysis::analyze_log;
using kdx::analysis::FaultInfo;
using kdx::analysis::OopsReport;

namespace {

OopsReport analyze_file(const std::string& name) {
  std::ifstream in(kdx::test::source_path("tests/data/oops/" + name), std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return analyze_log(ss.str());
}

std::string field(const FaultInfo& f, const std::string& name) {
  for (const auto& x : f.fields) {
    if (x.name == name) return x.value + (x.meaning.empty() ? "" : " " + x.meaning);
  }
  return "<missing " + name + ">";
}

}  // namespace

TEST(OopsSeed, Seed000Arm64PagingBetweenRanges) {
  auto r = analyze_file("seed000_arm64_between_ranges.log");
  ASSERT_TRUE(r.title);
  EXPECT_EQ(*r.title, "BUG: unable to handle kernel paging request in mod_sysfs_setup");
  EXPECT_FALSE(r.corrupted);
  ASSERT_TRUE(r.fault);
  EXPECT_EQ(r.fault->arch, "arm64");
  ASSERT_TRUE(r.fault->address);
  EXPECT_EQ(*r.fault->address, 0x000232bfa8c17cc5ULL);
  EXPECT_EQ(r.fault->address_class, "between user and kernel ranges");
  ASSERT_TRUE(r.fault->esr);
  EXPECT_EQ(*r.fault->esr, 0x96000004ULL);
  EXPECT_EQ(field(*r.fault, "EC"), "0x25 DABT (current EL)");
  EXPECT_EQ(field(*r.fault, "IL"), "1 32-bit instruction");
  EXPECT_EQ(field(*r.fault, "DFSC"), "0x04 level 0 translation fault");
  EXPECT_EQ(field(*r.fault, "WnR"), "0 read");
  EXPECT_EQ(r.fault->access, "read");
  EXPECT_EQ(r.guilty_frame, "mod_sysfs_setup");
  ASSERT_GE(r.frames.size(), 4u);
  EXPECT_EQ(r.frames.back().function, "el0t_64_sync");
}

TEST(OopsSeed, Seed001ListCorruptionWarningIsRelatedToPagingCrash) {
  auto r = analyze_file("seed001_list_corruption_then_paging.log");
  ASSERT_TRUE(r.title);
  EXPECT_EQ(*r.title, "BUG: unable to handle kernel paging request in PoolFree");
  EXPECT_EQ(r.guilty_frame, "PoolFree");  // kmem_cache_free is allocator code; the bad pointer came from PoolFree
  ASSERT_TRUE(r.fault);
  ASSERT_TRUE(r.fault->address);
  EXPECT_EQ(*r.fault->address, 0xffffeb04000ffb40ULL);
  ASSERT_EQ(r.related.size(), 1u);
  EXPECT_NE(r.related[0].header.find("lib/list_debug.c"), std::string::npos);
  EXPECT_NE(std::find(r.related[0].shared_addresses.begin(), r.related[0].shared_addresses.end(),
                      0xffffc90003fed0c8ULL),
            r.related[0].shared_addresses.end());
  ASSERT_FALSE(r.frames.empty());
  EXPECT_EQ(r.frames[0].function, "kmem_cache_free");
  EXPECT_EQ(r.frames[1].function, "PoolFree");
}

TEST(OopsSeed, Seed002Arm64HrtimerPagingRequest) {
  auto r = analyze_file("seed002_arm64_hrtimer.log");
  ASSERT_TRUE(r.title);
  EXPECT_EQ(*r.title, "BUG: unable to handle kernel paging request in enqueue_hrtimer");
  ASSERT_TRUE(r.fault);
  EXPECT_EQ(*r.fault->address, 0x0030343220706448ULL);
  EXPECT_EQ(r.fault->address_class, "between user and kernel ranges");
  EXPECT_EQ(field(*r.fault, "DFSC"), "0x04 level 0 translation fault");
  EXPECT_EQ(field(*r.fault, "WnR"), "0 read");
  ASSERT_TRUE(r.code);
  EXPECT_EQ(r.code->arch, "arm64");
  auto it = std::find_if(r.code->insns.begin(), r.code->insns.end(), [](const auto& i) { return i.faulting; });
  ASSERT_NE(it, r.code->insns.end());
  EXPECT_EQ(it->bytes, "f9400d8e");
  EXPECT_EQ(it->text, "ldr x14, [x12, #0x18]");
}

TEST(OopsSeed, Seed003X86WriteToReadOnlyKernelData) {
  auto r = analyze_file("seed003_x86_ro_write.log");
  ASSERT_TRUE(r.title);
  EXPECT_EQ(*r.title, "BUG: unable to handle kernel paging request in init_lsm_hooks");
  ASSERT_TRUE(r.fault);
  EXPECT_EQ(r.fault->arch, "x86_64");
  ASSERT_TRUE(r.fault->error_code);
  EXPECT_EQ(*r.fault->error_code, 0x3u);
  EXPECT_EQ(field(*r.fault, "P"), "1 protection violation");
  EXPECT_EQ(field(*r.fault, "W/R"), "1 write");
  EXPECT_EQ(field(*r.fault, "U/S"), "0 kernel mode");
  EXPECT_EQ(r.fault->address_class, "kernel");
  EXPECT_EQ(r.fault->access, "write");
  ASSERT_TRUE(r.code);
  auto it = std::find_if(r.code->insns.begin(), r.code->insns.end(), [](const auto& i) { return i.faulting; });
  ASSERT_NE(it, r.code->insns.end());
  EXPECT_EQ(it->offset, 0);
  EXPECT_EQ(it->text, "mov qword ptr [rdx], rcx");
  EXPECT_EQ(r.frames[0].module, "deepin_security");
}

TEST(OopsSeed, Seed004NvmePageFaultOnUbuntu) {
  auto r = analyze_file("seed004_nvme_page_fault.log");
  ASSERT_TRUE(r.title);
  EXPECT_EQ(*r.title, "BUG: unable to handle kernel paging request in nvme_queue_rq");
  ASSERT_TRUE(r.fault);
  EXPECT_EQ(*r.fault->address, 0x12345678u);
  EXPECT_EQ(r.fault->address_class, "user");
  EXPECT_EQ(*r.fault->error_code, 0x2u);
  EXPECT_EQ(field(*r.fault, "P"), "0 not-present page");
  ASSERT_TRUE(r.code);
  auto it = std::find_if(r.code->insns.begin(), r.code->insns.end(), [](const auto& i) { return i.faulting; });
  ASSERT_NE(it, r.code->insns.end());
  EXPECT_EQ(it->text, "mov dword ptr [0x12345678], 1");
}

TEST(OopsSeed, Seed004SysrqPanicIsKernelPanicTitle) {
  auto r = analyze_file("seed004_sysrq_panic.log");
  ASSERT_TRUE(r.title);
  EXPECT_EQ(*r.title, "kernel panic: sysrq triggered crash");
  // The user-mode Code: line after "RIP: 0033:" is not the kernel's faulting code.
  EXPECT_FALSE(r.code);
}

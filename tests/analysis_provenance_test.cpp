// Tests of register provenance and suspicious-value explanations on hand-assembled code.
#include <gtest/gtest.h>

#include <vector>

#include "kdx/analysis/provenance.hpp"

using namespace kdx::analysis;

TEST(Provenance, X86LoadChainBackToArgument) {
  // 0: mov rbx, [rdi+0x10]   4: mov rax, [rbx+0x8]  (faults: rbx = 0)
  std::vector<uint8_t> code = {0x48, 0x8b, 0x5f, 0x10, 0x48, 0x8b, 0x43, 0x08};
  RegisterValues regs = {{"rbx", 0}, {"rdi", 0xffff888003a4b000}, {"rax", 1}};
  auto p = trace_register_provenance("x86_64", code, 0xffffffffc0000000, 0xffffffffc0000004, regs);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->access, "read");
  EXPECT_EQ(p->bad_register, "rbx");
  EXPECT_EQ(p->bad_value, 0u);
  EXPECT_EQ(p->effective_address, 8u);
  ASSERT_EQ(p->chain.size(), 2u);
  EXPECT_EQ(p->chain[0].address, 0xffffffffc0000000u);
  EXPECT_EQ(p->chain[0].source, "loaded from memory at [rdi + 0x10]");
  EXPECT_NE(p->chain[1].source.find("argument 1 (rdi)"), std::string::npos) << p->chain[1].source;
  EXPECT_EQ(p->chain[1].value, 0xffff888003a4b000u);
}

TEST(Provenance, X86SubRegisterWriteCountsAndStoreIsWrite) {
  // 0: xor ebx, ebx   2: mov qword ptr [rbx + 8], rax
  std::vector<uint8_t> code = {0x31, 0xdb, 0x48, 0x89, 0x43, 0x08};
  auto p = trace_register_provenance("x86_64", code, 0x1000, 0x1002, {{"rbx", 0}});
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->access, "write");
  ASSERT_GE(p->chain.size(), 1u);
  EXPECT_EQ(p->chain[0].address, 0x1000u);
  EXPECT_EQ(p->chain[0].source, "zeroed (xor with itself)");
}

TEST(Provenance, Arm64LoadChain) {
  // 0: ldr x1, [x0, #0x10]   4: ldr x2, [x1, #8]
  std::vector<uint8_t> code = {0x01, 0x08, 0x40, 0xf9, 0x22, 0x04, 0x40, 0xf9};
  auto p = trace_register_provenance("arm64", code, 0xffff800008000000, 0xffff800008000004,
                                     {{"x1", 0x232bfa8c17cc5}, {"x0", 0xffff000012345000}});
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->bad_register, "x1");
  EXPECT_EQ(p->effective_address, 0x232bfa8c17cc5u + 8);
  ASSERT_EQ(p->chain.size(), 2u);
  EXPECT_EQ(p->chain[0].source, "loaded from memory at [x0 + 0x10]");
  EXPECT_NE(p->chain[1].source.find("argument 1 (x0)"), std::string::npos);
}

TEST(Provenance, PcNotOnBoundaryIsAnError) {
  std::vector<uint8_t> code = {0x48, 0x8b, 0x5f, 0x10, 0x48, 0x8b, 0x43, 0x08};
  auto p = trace_register_provenance("x86_64", code, 0x1000, 0x1002, {});
  ASSERT_FALSE(p);
  auto q = trace_register_provenance("x86_64", code, 0x1000, 0x2000, {});
  ASSERT_FALSE(q);
  auto r = trace_register_provenance("mips", code, 0x1000, 0x1000, {});
  ASSERT_FALSE(r);
}

TEST(SuspiciousValue, KnownPatterns) {
  EXPECT_NE(explain_suspicious_value("x86_64", 0xdead000000000122)->find("LIST_POISON2"), std::string::npos);
  EXPECT_NE(explain_suspicious_value("x86_64", 0x6b6b6b6b6b6b6b6b)->find("use-after-free"), std::string::npos);
  EXPECT_NE(explain_suspicious_value("x86_64", 0x10)->find("NULL + 0x10"), std::string::npos);
  EXPECT_NE(explain_suspicious_value("x86_64", 0x8000000000000000)->find("non-canonical"), std::string::npos);
  EXPECT_NE(explain_suspicious_value("arm64", 0x000232bfa8c17cc5), std::nullopt);
  EXPECT_EQ(explain_suspicious_value("x86_64", 0xffff888003a4b000), std::nullopt);
}

TEST(CanonicalRegister, SubRegisters) {
  EXPECT_EQ(canonical_register("x86_64", "ebx"), "rbx");
  EXPECT_EQ(canonical_register("x86_64", "r8d"), "r8");
  EXPECT_EQ(canonical_register("x86_64", "sil"), "rsi");
  EXPECT_EQ(canonical_register("arm64", "w3"), "x3");
}

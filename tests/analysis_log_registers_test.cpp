// Tests of the oops register-dump parser on x86_64 and arm64 console formats.
#include <gtest/gtest.h>

#include "kdx/analysis/log_registers.hpp"

using namespace kdx::analysis;

TEST(LogRegisters, X86ShowRegs) {
  const char* log =
      "[   12.345678] BUG: kernel NULL pointer dereference, address: 0000000000000008\n"
      "[   12.345900] RIP: 0010:kdxcrash_null+0x12/0x30 [kdxcrash]\n"
      "[   12.346000] Code: 48 8b 43 08 <48> 89 c7\n"
      "[   12.346100] RSP: 0018:ffffc90000163e48 EFLAGS: 00010246\n"
      "[   12.346200] RAX: 0000000000000000 RBX: 0000000000000000 RCX: 0000000000000001\n"
      "[   12.346300] RDX: 0000000000000000 RSI: ffffffff8203c8e0 RDI: ffff888003a4b000\n"
      "[   12.346400] RBP: ffffc90000163e60 R08: 0000000000000000 R09: 0000000000000000\n"
      "[   12.346500] R10: 0000000000000000 R11: 0000000000000000 R12: ffffffffc0002000\n"
      "[   12.346600] R13: 0000000000000000 R14: 0000000000000000 R15: 0000000000000000\n"
      "[   12.346700] FS:  00007f7e0e0bb740(0000) GS:ffff888007a00000(0000) knlGS:0000000000000000\n"
      "[   12.346800] CR2: 0000000000000008 CR3: 0000000002c4e000 CR4: 00000000003506f0\n"
      "[   12.346900] Call Trace:\n"
      "[   12.347000] RAX: 1111111111111111\n";
  auto r = parse_logged_registers(log);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->arch, "x86_64");
  EXPECT_EQ(r->pc_function, "kdxcrash_null");
  EXPECT_EQ(r->pc_offset, 0x12u);
  EXPECT_EQ(r->pc_module, "kdxcrash");
  EXPECT_EQ(r->regs.at("rsp"), 0xffffc90000163e48u);
  EXPECT_EQ(r->regs.at("eflags"), 0x10246u);
  EXPECT_EQ(r->regs.at("rdi"), 0xffff888003a4b000u);
  EXPECT_EQ(r->regs.at("r12"), 0xffffffffc0002000u);
  EXPECT_EQ(r->regs.at("cr2"), 8u);
  EXPECT_EQ(r->regs.at("rax"), 0u);  // the line after Call Trace: is not part of the dump
}

TEST(LogRegisters, Arm64ShowRegs) {
  const char* log =
      "[54278.431400] pc : tramme1_init+0x20/0x1000 [tramme1]\n"
      "[54278.431410] lr : do_one_initcall+0x50/0x250\n"
      "[54278.431420] sp : ffff80002c6bbb20\n"
      "[54278.431430] x29: ffff80002c6bbb20 x28: 0000000000000000 x27: 0000000000000000\n"
      "[54278.431440] x2 : 0000000000000000 x1 : 000232bfa8c17cc5 x0 : ffff0020b5e2c000\n"
      "[54278.431450] Call trace:\n";
  auto r = parse_logged_registers(log);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->arch, "arm64");
  EXPECT_EQ(r->pc_function, "tramme1_init");
  EXPECT_EQ(r->pc_offset, 0x20u);
  EXPECT_EQ(r->pc_module, "tramme1");
  EXPECT_EQ(r->regs.at("sp"), 0xffff80002c6bbb20u);
  EXPECT_EQ(r->regs.at("x1"), 0x000232bfa8c17cc5u);
  EXPECT_EQ(r->regs.at("x29"), 0xffff80002c6bbb20u);
  EXPECT_EQ(r->regs.count("lr_symbolic"), 0u);
}

TEST(LogRegisters, NoDumpNoResult) {
  EXPECT_FALSE(parse_logged_registers("[ 1.0] hello\n[ 2.0] world\n"));
}

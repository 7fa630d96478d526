// The unwinders' built-in 6.1 struct layouts, checked against the DWARF of the real fixture kernels.
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "kdx/unwind/arm64_unwinder.hpp"
#include "kdx/unwind/x86_64_unwinder.hpp"
#include "support/elf_core_stack_memory.hpp"
#include "support/paths.hpp"

namespace {

// Size of `struct name` and offset of `member` (nullopt when absent), from the first complete
// definition in the file's DWARF.
struct Layout {
  std::optional<uint64_t> size, offset;
};

Layout struct_layout(const std::string& path, const char* name, const char* member) {
  Layout out;
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return out;
  Dwarf* dw = dwarf_begin(fd, DWARF_C_READ);
  if (!dw) {
    ::close(fd);
    return out;
  }
  Dwarf_Off off = 0, next = 0;
  size_t hsize = 0;
  while (!out.size && dwarf_nextcu(dw, off, &next, &hsize, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu, die;
    if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &die) == 0) {
      do {
        if (dwarf_tag(&die) != DW_TAG_structure_type || dwarf_hasattr(&die, DW_AT_declaration)) continue;
        const char* n = dwarf_diename(&die);
        if (!n || std::string(n) != name) continue;
        Dwarf_Word sz = 0;
        Dwarf_Attribute a;
        if (dwarf_attr(&die, DW_AT_byte_size, &a) && dwarf_formudata(&a, &sz) == 0) out.size = sz;
        Dwarf_Die m;
        if (dwarf_child(&die, &m) == 0) {
          do {
            const char* mn = dwarf_diename(&m);
            Dwarf_Word loc = 0;
            if (mn && std::string(mn) == member && dwarf_attr(&m, DW_AT_data_member_location, &a) &&
                dwarf_formudata(&a, &loc) == 0)
              out.offset = loc;
          } while (dwarf_siblingof(&m, &m) == 0);
        }
        break;
      } while (dwarf_siblingof(&die, &die) == 0);
    }
    off = next;
  }
  dwarf_end(dw);
  ::close(fd);
  return out;
}

}  // namespace

TEST(UnwindLayout, X86PtRegsAndInactiveTaskFrameMatchDwarf) {
  std::string vmlinux = kdx::test::fixture_file("x86_64/vmlinux", "KDX_X86_64_VMLINUX");
  if (vmlinux.empty()) GTEST_SKIP() << "fixture testdata/x86_64/vmlinux(.xz) not present";
  auto regs = struct_layout(vmlinux, "pt_regs", "ip");
  ASSERT_TRUE(regs.size && regs.offset);
  EXPECT_EQ(*regs.size, kdx::unwind::kX86PtRegsCount * 8);
  EXPECT_EQ(*regs.offset, kdx::unwind::kX86IretFrameOffset);
  EXPECT_EQ(*struct_layout(vmlinux, "pt_regs", "r12").offset, kdx::unwind::kX86R12 * 8);
  EXPECT_EQ(*struct_layout(vmlinux, "pt_regs", "ss").offset, kdx::unwind::kX86Ss * 8);
  auto itf = struct_layout(vmlinux, "inactive_task_frame", "ret_addr");
  ASSERT_TRUE(itf.size && itf.offset);
  EXPECT_EQ(*itf.size, 56u);
  EXPECT_EQ(*itf.offset, 48u);
}

TEST(UnwindLayout, Arm64PtRegsStackframeMatchesDwarf) {
  std::string vmlinux = kdx::test::fixture_file("arm64/vmlinux", "KDX_ARM64_VMLINUX");
  if (vmlinux.empty()) GTEST_SKIP() << "fixture testdata/arm64/vmlinux(.xz) not present";
  auto sf = struct_layout(vmlinux, "pt_regs", "stackframe");
  ASSERT_TRUE(sf.offset);
  EXPECT_EQ(*sf.offset, kdx::unwind::Arm64UnwindConfig{}.pt_regs_stackframe_offset);
  // pt_regs starts with user_pt_regs (inside an anonymous union): x0..x30 sp pc pstate.
  auto user = struct_layout(vmlinux, "user_pt_regs", "pstate");
  ASSERT_TRUE(user.offset && user.size);
  EXPECT_EQ(*user.offset, kdx::unwind::kArm64Pstate * 8);
  EXPECT_EQ(*user.size, kdx::unwind::kArm64PtRegsCount * 8);
  auto ctx = struct_layout(vmlinux, "cpu_context", "pc");
  ASSERT_TRUE(ctx.size && ctx.offset);
  EXPECT_EQ(*ctx.offset, 96u);
  EXPECT_EQ(*ctx.size, 104u);
}

// utsname reader: the running kernel's own idea of its release, version and machine.
#include "kdx/kernel/system_info.hpp"

#include <cstring>

namespace kdx::kernel {

Result<UtsName> read_utsname(VirtReader& mem, TypeLayout& layout) {
  auto ns = layout.symbol_address("init_uts_ns");
  if (!ns) return std::unexpected(ns.error());
  // struct new_utsname is 6 x (__NEW_UTS_LEN + 1 = 65) chars; its place inside
  // uts_namespace moved (a kref came first before 5.11), so ask the layout.
  auto name = layout.member_offset("uts_namespace", "name");
  if (!name) return std::unexpected(name.error());
  uint8_t raw[6 * 65];
  if (auto r = mem.read_virt(*ns + *name, raw); !r) return std::unexpected(r.error());
  auto field = [&](int i) {
    const char* p = reinterpret_cast<const char*>(raw + i * 65);
    return std::string(p, strnlen(p, 65));
  };
  return UtsName{field(0), field(1), field(2), field(3), field(4), field(5)};
}

}  // namespace kdx::kernel

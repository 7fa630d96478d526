// Reader of the crashed kernel's identity: utsname (release, version, machine, node name).
#pragma once

#include <string>

#include "kdx/error.hpp"
#include "kdx/kernel/type_layout.hpp"
#include "kdx/virt_reader.hpp"

namespace kdx::kernel {

struct UtsName {
  std::string sysname, nodename, release, version, machine, domainname;
};

// Reads init_uts_ns.name (struct new_utsname: six 65-byte strings). Fails when init_uts_ns
// is unknown or unreadable.
Result<UtsName> read_utsname(VirtReader& mem, TypeLayout& layout);

}  // namespace kdx::kernel

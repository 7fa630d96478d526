// Test support: writes a FakePhysMemory holding synthetic page tables as an ELF vmcore (VMCOREINFO note + PT_LOADs), for CLI tests and the bench.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/pagetable_fake_phys.hpp"

namespace kdx::pagetable_test {

struct VmcoreSegment {
  uint64_t paddr = 0;
  uint64_t vaddr = 0;  // as /proc/vmcore fills p_vaddr (direct map, kernel image)
  uint64_t size = 0;
};

// e_machine: 62 (x86_64) or 183 (aarch64). Bytes absent from mem are written as zeros.
// Returns false when the file cannot be written.
bool write_pagetable_vmcore(const FakePhysMemory& mem, uint16_t e_machine, const std::string& vmcoreinfo,
                            const std::vector<VmcoreSegment>& segments, const std::string& path);

}  // namespace kdx::pagetable_test

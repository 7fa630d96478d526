// Test helper for real-dump unwinding checks: kernel virtual memory, PRSTATUS and VMCOREINFO of an
// ELF core whose PT_LOADs carry virtual addresses (QEMU dump-guest-memory with paging).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kdx/virt_reader.hpp"

namespace kdx::test {

// A fixture for real-dump tests: testdata/REL, or testdata/REL.xz decompressed once into the
// build tree; the environment variable `env` overrides both. "" when absent.
std::string fixture_file(const std::string& rel, const char* env);

class ElfCoreVirtMemory : public kdx::VirtReader {
 public:
  ~ElfCoreVirtMemory() override;
  // nullptr when the file is not a 64-bit little-endian ELF core (checked reads throughout).
  static std::unique_ptr<ElfCoreVirtMemory> open(const std::string& path);
  Result<void> read_virt(uint64_t vaddr, std::span<uint8_t> out) override;

  std::vector<std::vector<uint8_t>> prstatus;  // NT_PRSTATUS descriptors, in note order
  std::string vmcoreinfo;                      // the VMCOREINFO note text
  // VMCOREINFO value for KEY, or "" when absent.
  std::string info(const std::string& key) const;

 private:
  struct Segment {
    uint64_t vaddr, offset, filesz, memsz;
  };
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::vector<Segment> segs_;
};

}  // namespace kdx::test

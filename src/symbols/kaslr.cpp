// KASLR offset from VMCOREINFO: KERNELOFFSET, or runtime-minus-link of the SYMBOL() entries, cross-checked.
#include "kdx/symbols/kaslr.hpp"

namespace kdx::symbols {

Result<KaslrOffset> find_kaslr_offset(const KernelSymbols& vmlinux, std::optional<uint64_t> kerneloffset,
                                      const std::map<std::string, uint64_t>& symbols) {
  std::optional<KaslrOffset> derived;
  size_t agree = 0;
  for (auto& [name, runtime] : symbols) {
    auto link = vmlinux.lookup_symbol(name);
    if (!link) continue;
    uint64_t link_addr = link->address - vmlinux.kaslr_offset();
    uint64_t off = runtime - link_addr;
    if (!derived) {
      derived = KaslrOffset{off, name};
      agree = 1;
    } else if (derived->offset != off) {
      return make_error(ErrorCode::Mismatch,
                        "VMCOREINFO symbols disagree about the KASLR offset: SYMBOL({}) gives {:#x}, SYMBOL({}) gives {:#x}",
                        derived->how, derived->offset, name, off);
    } else {
      ++agree;
    }
  }
  if (kerneloffset) {
    if (derived && derived->offset != *kerneloffset)
      return make_error(ErrorCode::Mismatch,
                        "KERNELOFFSET={:x} but SYMBOL({}) puts the kernel at offset {:#x}: vmlinux does not match the dump",
                        *kerneloffset, derived->how, derived->offset);
    return KaslrOffset{*kerneloffset, derived ? fmt::format("KERNELOFFSET from VMCOREINFO (confirmed by {} SYMBOL() entries)", agree)
                                              : std::string("KERNELOFFSET from VMCOREINFO")};
  }
  if (derived)
    return KaslrOffset{derived->offset,
                       fmt::format("derived from VMCOREINFO SYMBOL({}) minus its vmlinux address ({} symbols agree)", derived->how, agree)};
  return make_error(ErrorCode::NotPresent, "no KERNELOFFSET and no VMCOREINFO SYMBOL() entry found in vmlinux");
}

}  // namespace kdx::symbols

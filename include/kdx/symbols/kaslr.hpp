// Finding the KASLR offset: VMCOREINFO's KERNELOFFSET when present, else derived from SYMBOL() values; says how.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "kdx/error.hpp"
#include "kdx/symbols/kernel_symbols.hpp"

namespace kdx::symbols {

struct KaslrOffset {
  uint64_t offset = 0;
  std::string how;  // one line for people, e.g. "KERNELOFFSET from VMCOREINFO"
};

// kerneloffset: VMCOREINFO KERNELOFFSET (hex) if the dump has it. symbols: VMCOREINFO's
// SYMBOL(name)=value entries (runtime addresses). With KERNELOFFSET, that is the answer (and
// the SYMBOL() values, if any, must agree with it). Without, the offset is runtime - link
// address of the SYMBOL() entries that exist in vmlinux; they must all agree. Fails with
// Mismatch (values disagree: vmlinux and dump do not belong together; names both values) or
// NotPresent (nothing to derive it from).
Result<KaslrOffset> find_kaslr_offset(const KernelSymbols& vmlinux, std::optional<uint64_t> kerneloffset,
                                      const std::map<std::string, uint64_t>& symbols);

}  // namespace kdx::symbols

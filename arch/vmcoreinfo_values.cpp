// VmcoreinfoReader: typed VMCOREINFO values (parsed by dump::Vmcoreinfo), symbols, image variables and kernel sections for the arch config builders.
#include <charconv>
#include <string>

#include "vmcoreinfo_reader.hpp"
#include "walker_support.hpp"

namespace kdx {

std::optional<unsigned> vmcoreinfo_kernel_version(const dump::Vmcoreinfo& vi) {
  auto rel = vi.osrelease();
  if (!rel) return std::nullopt;
  std::string_view s = *rel;
  unsigned major = 0, minor = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), major);
  if (ec != std::errc() || p == s.data() + s.size() || *p != '.') return std::nullopt;
  auto [p2, ec2] = std::from_chars(p + 1, s.data() + s.size(), minor);
  if (ec2 != std::errc()) return std::nullopt;
  return major * 100 + minor;
}

namespace arch_detail {

Result<std::optional<uint64_t>> VmcoreinfoReader::parsed(const std::string& key, std::optional<uint64_t> value,
                                                         const char* expected) const {
  if (value) return value;
  auto raw = vi_.get(key);
  if (!raw) return std::optional<uint64_t>{};
  return make_error(ErrorCode::Format, "VMCOREINFO {}: expected {}, found \"{}\"", key, expected, *raw);
}

Result<std::optional<uint64_t>> VmcoreinfoReader::number(std::string_view name) const {
  return parsed("NUMBER(" + std::string(name) + ")", vi_.number_u64(name), "a number");
}

Result<uint64_t> VmcoreinfoReader::required_number(std::string_view name) const {
  auto v = number(name);
  if (!v) return std::unexpected(v.error());
  if (!*v) return make_error(ErrorCode::Format, "VMCOREINFO has no NUMBER({})", name);
  return **v;
}

Result<std::optional<uint64_t>> VmcoreinfoReader::page_size() const {
  return parsed("PAGESIZE", vi_.page_size(), "a decimal number");
}

Result<uint64_t> VmcoreinfoReader::kernel_offset() const {
  auto v = parsed("KERNELOFFSET", vi_.kernel_offset(), "a hex number");
  if (!v) return std::unexpected(v.error());
  return v->value_or(0);
}

std::optional<uint64_t> VmcoreinfoReader::symbol(std::string_view name) const {
  if (symbols_)
    if (auto a = symbols_(name)) return a;
  return vi_.symbol(name);
}

std::optional<uint64_t> VmcoreinfoReader::read_image_u64(const PageTableWalker& walker, uint64_t vaddr) const {
  if (!phys_) return std::nullopt;
  auto pa = walker.kernel_image_to_phys(vaddr);
  if (!pa) return std::nullopt;
  uint64_t v;
  if (!read_entry(*phys_, *pa, v)) return std::nullopt;
  return v;
}

void VmcoreinfoReader::add_kernel_sections(TranslationConfig& cfg, std::string_view text_start) const {
  if (!symbols_) return;
  struct Sec {
    const char* name;
    std::string_view start, end;
  } secs[] = {{"text", text_start, "_etext"},
              {"rodata", "__start_rodata", "__end_rodata"},
              {"ro_after_init", "__start_ro_after_init", "__end_ro_after_init"},
              {"data", "_sdata", "_edata"},
              {"init", "__init_begin", "__init_end"},
              {"bss", "__bss_start", "__bss_stop"}};
  for (const Sec& s : secs) {
    auto a = symbols_(s.start), b = symbols_(s.end);
    if (a && b && *a < *b) cfg.kernel_sections.push_back({s.name, *a, *b});
  }
  if (auto a = symbols_("_text")) cfg.kernel_image_start = *a;
  if (auto b = symbols_("_end")) cfg.kernel_image_end = *b;
}

}  // namespace arch_detail
}  // namespace kdx

// KernelSymbols' modules: .ko files relocated at the section addresses the dump reports, found by name.
#include <fcntl.h>
#include <gelf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>

#include "decompressed_file.hpp"
#include "kdx/symbols/kernel_symbols.hpp"
#include "kernel_symbols_impl.hpp"

namespace kdx::symbols {
namespace {

// libdwfl asks for each module's ELF by module name; the module's userdata is its LoadedModule.
int module_find_elf(Dwfl_Module*, void** userdata, const char*, Dwarf_Addr, char** file_name, Elf** elfp) {
  auto* m = static_cast<LoadedModule*>(*userdata);
  if (!m) return -1;
  int fd = ::open(m->path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  *file_name = strdup(m->path.c_str());
  *elfp = nullptr;
  return fd;
}

// Relocation of an ET_REL .ko: each SHF_ALLOC section goes where the kernel put it. Sections
// the dump does not list (discarded .init.* after boot, .modinfo) are reported as not loaded.
int module_section_address(Dwfl_Module*, void** userdata, const char*, Dwarf_Addr, const char* secname, GElf_Word,
                           const GElf_Shdr*, Dwarf_Addr* addr) {
  auto* m = static_cast<LoadedModule*>(*userdata);
  auto it = m ? m->sections.find(secname) : decltype(m->sections.end()){};
  *addr = (m && it != m->sections.end()) ? it->second : static_cast<Dwarf_Addr>(-1);
  return 0;
}

std::string normalize_module_name(std::string_view n) {
  std::string s(n);
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

struct KoSection {
  std::string name;
  uint64_t flags = 0, size = 0, align = 1;
};

struct KoFacts {
  std::string modinfo_name;
  std::string vermagic;
  int machine = 0;  // e_machine
  std::map<std::string, uint64_t> section_sizes;
  std::vector<KoSection> alloc_sections;  // SHF_ALLOC sections in header order
};

// Fills in the sections the caller did not give by laying the module out as the kernel's
// layout_sections() (kernel/module/main.c, 4.x-6.x) does: per group -- text, read-only,
// ro_after_init, writable, rest -- sections in header order at their alignment, each group
// page-aligned; .init* sections in a separate layout. A group's base comes from a given
// section of that group (6.4+ allocates each group separately), else from any given section
// of the same layout (one allocation up to 6.3). Given addresses always win.
SectionAddresses complete_layout(const std::vector<KoSection>& secs, const SectionAddresses& given) {
  constexpr uint64_t kRoAfterInit = 0x00200000;  // SHF_RO_AFTER_INIT, set by the module loader
  const uint64_t masks[5][2] = {{SHF_EXECINSTR | SHF_ALLOC, 0},
                                {SHF_ALLOC, SHF_WRITE},
                                {kRoAfterInit | SHF_ALLOC, 0},
                                {SHF_WRITE | SHF_ALLOC, 0},
                                {SHF_ALLOC, 0}};
  struct Placed {
    uint64_t offset;
    int group;
    bool init;
  };
  std::map<std::string, Placed> placed;
  for (int layout = 0; layout < 2; ++layout) {
    bool init = layout == 1;
    uint64_t size = 0;
    for (int m = 0; m < 5; ++m) {
      for (auto& sec : secs) {
        uint64_t flags = sec.flags;
        if (sec.name == ".data..ro_after_init" || sec.name == "__jump_table") flags |= kRoAfterInit;
        if ((flags & masks[m][0]) != masks[m][0] || (flags & masks[m][1]) || placed.count(sec.name)) continue;
        if ((sec.name.rfind(".init", 0) == 0) != init) continue;
        uint64_t a = sec.align ? sec.align : 1;
        uint64_t off = (size + a - 1) / a * a;
        placed[sec.name] = {off, m, init};
        size = off + sec.size;
      }
      if (m < 4) size = (size + 4095) & ~uint64_t{4095};
    }
  }
  SectionAddresses out = given;
  for (auto& [name, p] : placed) {
    if (out.count(name)) continue;
    std::optional<uint64_t> base;
    for (auto& [gname, gaddr] : given) {  // an anchor in the same group first
      auto it = placed.find(gname);
      if (it != placed.end() && it->second.init == p.init && it->second.group == p.group) base = gaddr - it->second.offset;
    }
    if (!base)
      for (auto& [gname, gaddr] : given) {
        auto it = placed.find(gname);
        if (it != placed.end() && it->second.init == p.init) {
          base = gaddr - it->second.offset;
          break;
        }
      }
    if (base) out[name] = *base + p.offset;
  }
  return out;
}

// Reads .modinfo and section sizes of a .ko with libelf.
Result<KoFacts> read_ko(const std::string& shown, const std::string& real) {
  int fd = ::open(real.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorCode::Io, "cannot open {}: {}", shown, std::strerror(errno));
  elf_version(EV_CURRENT);
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  Result<KoFacts> result;
  GElf_Ehdr eh;
  size_t shstrndx = 0;
  if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
    result = std::unexpected(Error{ErrorCode::Format, "not an ELF file", shown, 0, {}});
  } else if (eh.e_type != ET_REL) {
    result = std::unexpected(Error{ErrorCode::Format, "not a kernel module: e_type is not ET_REL", shown, 16, {}});
  } else if (elf_getshdrstrndx(elf, &shstrndx) != 0) {
    result = std::unexpected(Error{ErrorCode::Truncated, fmt::format("section names unreadable: {}", elf_errmsg(-1)), shown, {}, {}});
  } else {
    KoFacts f;
    f.machine = eh.e_machine;
    Elf_Scn* scn = nullptr;
    while ((scn = elf_nextscn(elf, scn)) != nullptr) {
      GElf_Shdr sh;
      if (!gelf_getshdr(scn, &sh)) continue;
      const char* name = elf_strptr(elf, shstrndx, sh.sh_name);
      if (!name) continue;
      // The loader drops SHF_ALLOC from .modinfo and __versions before laying out.
      if ((sh.sh_flags & SHF_ALLOC) && std::strcmp(name, ".modinfo") != 0 && std::strcmp(name, "__versions") != 0) {
        f.section_sizes[name] = sh.sh_size;
        f.alloc_sections.push_back({name, sh.sh_flags, sh.sh_size, sh.sh_addralign});
      }
      if (std::strcmp(name, ".modinfo") == 0 && sh.sh_type != SHT_NOBITS) {
        Elf_Data* d = elf_getdata(scn, nullptr);
        if (!d || !d->d_buf) continue;
        const char* p = static_cast<const char*>(d->d_buf);
        size_t off = 0;
        while (off < d->d_size) {
          size_t len = strnlen(p + off, d->d_size - off);
          std::string_view kv(p + off, len);
          if (kv.substr(0, 5) == "name=") f.modinfo_name = kv.substr(5);
          if (kv.substr(0, 9) == "vermagic=") f.vermagic = kv.substr(9);
          off += len + 1;
        }
      }
    }
    result = std::move(f);
  }
  if (elf) elf_end(elf);
  ::close(fd);
  return result;
}

}  // namespace

const LoadedModule* KernelSymbols::Impl::module_at(uint64_t runtime) const {
  for (auto& m : modules)
    if (runtime >= m->start && runtime < m->end) return m.get();
  return nullptr;
}

Result<void> KernelSymbols::add_module(std::string name, const std::string& path, const SectionAddresses& sections) {
  if (sections.empty()) return make_error(ErrorCode::Usage, "module {}: no section addresses given", name);
  auto real = materialize_input(path, impl_->opts.cache_dir);
  if (!real) return std::unexpected(std::move(real.error()).in_file(path));
  auto facts = read_ko(path, *real);
  if (!facts) return std::unexpected(facts.error());
  if (!facts->modinfo_name.empty() && normalize_module_name(facts->modinfo_name) != normalize_module_name(name))
    return std::unexpected(Error{ErrorCode::Mismatch,
                                 fmt::format("module file is '{}' (.modinfo name), not '{}'", facts->modinfo_name, name), path, {}, {}});
  if (elf_machine_name(facts->machine) != impl_->machine)
    return std::unexpected(Error{ErrorCode::Mismatch,
                                 fmt::format("module is for {}, vmlinux is {}", elf_machine_name(facts->machine), impl_->machine),
                                 path, {}, {}});
  if (!facts->vermagic.empty()) {
    if (auto rel = osrelease()) {
      std::string vm_release = facts->vermagic.substr(0, facts->vermagic.find(' '));
      if (vm_release != *rel)
        return std::unexpected(Error{ErrorCode::Mismatch,
                                     fmt::format("module built for {} (vermagic), vmlinux is {}", vm_release, *rel), path, {}, {}});
    }
  }
  auto m = std::make_unique<LoadedModule>();
  m->name = std::move(name);
  m->path = *real;
  m->sections = complete_layout(facts->alloc_sections, sections);
  uint64_t lo = UINT64_MAX, hi = 0;
  for (auto& [sec, addr] : m->sections) {
    auto sz = facts->section_sizes.find(sec);
    uint64_t size = sz == facts->section_sizes.end() ? 1 : std::max<uint64_t>(sz->second, 1);
    lo = std::min(lo, addr);
    hi = std::max(hi, addr + size);
  }
  m->start = lo;
  m->end = hi;
  if (!impl_->module_dwfl) {
    impl_->module_callbacks.find_elf = module_find_elf;
    impl_->module_callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
    impl_->module_callbacks.section_address = module_section_address;
    impl_->module_callbacks.debuginfo_path = &impl_->debuginfo_path_ptr;
    impl_->module_dwfl.reset(dwfl_begin(&impl_->module_callbacks));
    if (!impl_->module_dwfl) return make_error(ErrorCode::Io, "libdwfl: {}", dwfl_errmsg(-1));
  }
  Dwfl* d = impl_->module_dwfl.get();
  // Re-report the modules already loaded, then the new one (libdwfl keeps those it sees again).
  dwfl_report_begin_add(d);
  Dwfl_Module* mod = dwfl_report_module(d, m->name.c_str(), m->start, m->end);
  if (!mod) return std::unexpected(Error{ErrorCode::Format, fmt::format("libdwfl refused the module: {}", dwfl_errmsg(-1)), path, {}, {}});
  void** ud = nullptr;
  dwfl_module_info(mod, &ud, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  if (ud) *ud = m.get();
  dwfl_report_end(d, nullptr, nullptr);
  m->dwfl_module = mod;
  Dwarf_Addr bias;
  if (dwfl_module_getelf(mod, &bias) == nullptr)
    return std::unexpected(Error{ErrorCode::Format, fmt::format("cannot load module: {}", dwfl_errmsg(-1)), path, {}, {}});
  impl_->modules.push_back(std::move(m));
  return {};
}

Result<std::string> KernelSymbols::find_module_file(std::string_view name, const std::vector<std::string>& dirs) const {
  std::vector<std::string> roots = dirs;
  if (auto rel = osrelease()) {
    roots.push_back("/usr/lib/debug/lib/modules/" + *rel);
    roots.push_back("/lib/modules/" + *rel);
  }
  std::string want = normalize_module_name(name);
  for (auto& root : roots) {
    std::error_code ec;
    std::filesystem::recursive_directory_iterator it(root, std::filesystem::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      std::string fn = it->path().filename().string();
      for (std::string ext : {".ko", ".ko.xz", ".ko.zst", ".ko.debug"}) {
        if (fn.size() > ext.size() && fn.compare(fn.size() - ext.size(), ext.size(), ext) == 0 &&
            normalize_module_name(fn.substr(0, fn.size() - ext.size())) == want)
          return it->path().string();
      }
    }
  }
  return make_error(ErrorCode::NotPresent, "no .ko file for module '{}' (searched {} directories)", name, roots.size());
}

std::vector<std::string> KernelSymbols::module_names() const {
  std::vector<std::string> out;
  for (auto& m : impl_->modules) out.push_back(m->name);
  return out;
}

}  // namespace kdx::symbols

// KernelSymbols' modules: .ko files relocated at the section addresses the dump reports, found by name.
#include <fcntl.h>
#include <gelf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

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

struct KoFacts {
  std::string modinfo_name;
  std::string vermagic;
  std::map<std::string, uint64_t> section_sizes;
};

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
    Elf_Scn* scn = nullptr;
    while ((scn = elf_nextscn(elf, scn)) != nullptr) {
      GElf_Shdr sh;
      if (!gelf_getshdr(scn, &sh)) continue;
      const char* name = elf_strptr(elf, shstrndx, sh.sh_name);
      if (!name) continue;
      if (sh.sh_flags & SHF_ALLOC) f.section_sizes[name] = sh.sh_size;
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
  m->sections = sections;
  uint64_t lo = UINT64_MAX, hi = 0;
  for (auto& [sec, addr] : sections) {
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

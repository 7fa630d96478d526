// KernelSymbols: opening vmlinux through libdwfl, identity (build-id, banner), address<->symbol and source lines.
#include "kdx/symbols/kernel_symbols.hpp"

#include <dwarf.h>
#include <elfutils/debuginfod.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <gelf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "decompressed_file.hpp"
#include "kernel_symbols_impl.hpp"

namespace kdx::symbols {
namespace {

std::string machine_name(int em) {
  switch (em) {
    case EM_X86_64: return "x86_64";
    case EM_AARCH64: return "aarch64";
    case EM_386: return "i386";
    case EM_RISCV: return "riscv64";
    case EM_PPC64: return "ppc64";
    case EM_S390: return "s390x";
    default: return fmt::format("machine-{}", em);
  }
}

// Checks with libelf that the file is an ELF executable (vmlinux is ET_EXEC on x86_64 and
// ET_DYN on arm64 with CONFIG_RELOCATABLE), so a wrong file gets a precise message.
Result<std::string> check_elf_executable(const std::string& shown, const std::string& real) {
  int fd = ::open(real.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorCode::Io, "cannot open {}: {}", shown, std::strerror(errno));
  elf_version(EV_CURRENT);
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  Result<std::string> result;
  if (elf == nullptr || elf_kind(elf) != ELF_K_ELF) {
    unsigned char magic[4] = {};
    ssize_t n = ::pread(fd, magic, 4, 0);
    result = std::unexpected(Error{ErrorCode::Format,
                                   n < 4 ? fmt::format("not an ELF file: only {} bytes", n < 0 ? 0 : n)
                                         : fmt::format("not an ELF file (starts with {:02x} {:02x} {:02x} {:02x}, expected 7f 45 4c 46)",
                                                       magic[0], magic[1], magic[2], magic[3]),
                                   shown, 0, {}});
  } else {
    GElf_Ehdr eh;
    if (gelf_getehdr(elf, &eh) == nullptr) {
      result = std::unexpected(Error{ErrorCode::Truncated, fmt::format("ELF header unreadable: {}", elf_errmsg(-1)), shown, 0, {}});
    } else if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
      const char* t = eh.e_type == ET_REL ? "ET_REL (a .o or .ko)" : eh.e_type == ET_CORE ? "ET_CORE (a dump)" : "unknown";
      result = std::unexpected(Error{ErrorCode::Format, fmt::format("not an ELF executable: e_type is {}, expected ET_EXEC or ET_DYN", t),
                                     shown, 16, {}});
    } else {
      result = machine_name(eh.e_machine);
      struct stat st;
      size_t shnum = 0, shstrndx = 0;
      uint64_t fsize = ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : UINT64_MAX;
      if (elf_getshdrnum(elf, &shnum) != 0 || elf_getshdrstrndx(elf, &shstrndx) != 0) {
        result = std::unexpected(Error{ErrorCode::Truncated, fmt::format("section headers unreadable: {}", elf_errmsg(-1)), shown, eh.e_shoff, {}});
      } else if (eh.e_shoff + static_cast<uint64_t>(std::max<size_t>(shnum, eh.e_shnum)) * eh.e_shentsize > fsize) {
        result = std::unexpected(Error{ErrorCode::Truncated,
                                       fmt::format("section header table ({} entries) extends past the end of the file ({} bytes)", eh.e_shnum, fsize),
                                       shown, eh.e_shoff, {}});
      } else {
        // A cut-off file: every section with contents must lie inside it.
        Elf_Scn* scn = nullptr;
        while ((scn = elf_nextscn(elf, scn)) != nullptr) {
          GElf_Shdr sh;
          if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS) continue;
          if (sh.sh_offset + sh.sh_size > fsize) {
            const char* n = elf_strptr(elf, shstrndx, sh.sh_name);
            result = std::unexpected(Error{ErrorCode::Truncated,
                                           fmt::format("section {} ({} bytes) extends past the end of the file ({} bytes)",
                                                       n ? n : "?", sh.sh_size, fsize),
                                           shown, sh.sh_offset, {}});
            break;
          }
        }
      }
    }
  }
  if (elf) elf_end(elf);
  ::close(fd);
  return result;
}

int debuginfod_progress(debuginfod_client*, long a, long b) {
  if (b > 0) fmt::print(stderr, "\rdebuginfod: {} / {} kB", a / 1024, b / 1024);
  return 0;
}

// Asks debuginfod for the debug file of a build-id. Returns an open fd and the cached path.
int debuginfod_fetch(const unsigned char* id, int len, char** path) {
  const char* urls = std::getenv("DEBUGINFOD_URLS");
  if (!urls || !*urls) return -ENOENT;
  debuginfod_client* c = debuginfod_begin();
  if (!c) return -ENOMEM;
  if (::isatty(2)) debuginfod_set_progressfn(c, debuginfod_progress);
  int fd = debuginfod_find_debuginfo(c, id, len, path);
  if (::isatty(2)) fmt::print(stderr, "\n");
  debuginfod_end(c);
  return fd;
}

int find_debuginfo_cb(Dwfl_Module* mod, void** ud, const char* modname, Dwarf_Addr base, const char* file_name,
                      const char* debuglink_file, GElf_Word debuglink_crc, char** debuginfo_file_name) {
  int fd = dwfl_standard_find_debuginfo(mod, ud, modname, base, file_name, debuglink_file, debuglink_crc,
                                        debuginfo_file_name);
  if (fd >= 0) {
    // libdwfl's built-in debuginfod client returns an fd without a name; recover it so
    // debug_path() can say where the DWARF came from.
    if (*debuginfo_file_name == nullptr) {
      char buf[4096];
      ssize_t n = ::readlink(fmt::format("/proc/self/fd/{}", fd).c_str(), buf, sizeof buf - 1);
      if (n > 0) {
        buf[n] = 0;
        *debuginfo_file_name = strdup(buf);
      }
    }
    return fd;
  }
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr;
  int len = dwfl_module_build_id(mod, &bits, &vaddr);
  if (len <= 0) return fd;
  int dfd = debuginfod_fetch(bits, len, debuginfo_file_name);
  return dfd >= 0 ? dfd : fd;
}

// nm's letter: upper case for globals; text for functions, data for objects, absolute, etc.
char type_char(const LinkSymbol& s) {
  char c = s.type == STT_FUNC ? 't' : s.type == STT_OBJECT ? 'd' : s.type == STT_NOTYPE ? 't' : '?';
  return s.binding == STB_GLOBAL && c != '?' ? static_cast<char>(c - 32) : c;
}

std::string hex(const unsigned char* p, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += fmt::format("{:02x}", p[i]);
  return s;
}

}  // namespace

KernelSymbols::KernelSymbols(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KernelSymbols::~KernelSymbols() = default;

Result<std::unique_ptr<KernelSymbols>> KernelSymbols::open(const std::string& vmlinux, const OpenOptions& opts) {
  auto impl = std::make_unique<Impl>();
  impl->opts = opts;
  impl->path = vmlinux;
  auto real = materialize_input(vmlinux, opts.cache_dir);
  if (!real) return std::unexpected(std::move(real.error()).in_file(vmlinux));
  impl->elf_path = *real;
  auto mach = check_elf_executable(vmlinux, impl->elf_path);
  if (!mach) return std::unexpected(mach.error());
  impl->machine = *mach;

  // Separate debug files: next to the file, in .debug/, and under each debug root
  // (/usr/lib/debug by default, which also covers .build-id/xx/yyyy.debug).
  std::string dp = ":.debug";
  for (auto& d : opts.debug_dirs) dp += ":" + d;
  dp += ":/usr/lib/debug";
  impl->debuginfo_path_str = dp;
  impl->debuginfo_path_ptr = impl->debuginfo_path_str.data();
  impl->callbacks.find_elf = dwfl_build_id_find_elf;
  impl->callbacks.find_debuginfo = opts.use_debuginfod ? find_debuginfo_cb : dwfl_standard_find_debuginfo;
  impl->callbacks.section_address = dwfl_offline_section_address;
  impl->callbacks.debuginfo_path = &impl->debuginfo_path_ptr;
  impl->dwfl.reset(dwfl_begin(&impl->callbacks));
  if (!impl->dwfl) return make_error(ErrorCode::Io, "libdwfl: {}", dwfl_errmsg(-1));
  dwfl_report_begin(impl->dwfl.get());
  // Base 0: addresses stay the file's link addresses also for ET_DYN (arm64's relocatable
  // vmlinux); dwfl_report_offline would slide a PIE to an arbitrary base.
  impl->module = dwfl_report_elf(impl->dwfl.get(), "kernel", impl->elf_path.c_str(), -1, 0, true);
  dwfl_report_end(impl->dwfl.get(), nullptr, nullptr);
  if (impl->module == nullptr)
    return std::unexpected(Error{ErrorCode::Format, fmt::format("libdwfl cannot load it: {}", dwfl_errmsg(-1)), vmlinux, {}, {}});
  Dwarf_Addr lo = 0, hi = 0;
  dwfl_module_info(impl->module, nullptr, &lo, &hi, nullptr, nullptr, nullptr, nullptr);
  impl->low = lo;
  impl->high = hi;
  impl->debug_path = impl->elf_path;
  return std::unique_ptr<KernelSymbols>(new KernelSymbols(std::move(impl)));
}

Result<std::unique_ptr<KernelSymbols>> KernelSymbols::open_by_build_id(std::string_view build_id_hex, const OpenOptions& opts) {
  std::vector<unsigned char> id;
  if (build_id_hex.size() % 2 != 0 || build_id_hex.empty())
    return make_error(ErrorCode::Usage, "build-id '{}' is not an even number of hex digits", build_id_hex);
  for (size_t i = 0; i < build_id_hex.size(); i += 2) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(build_id_hex.data() + i, build_id_hex.data() + i + 2, v, 16);
    if (ec != std::errc() || p != build_id_hex.data() + i + 2) return make_error(ErrorCode::Usage, "build-id '{}' is not hex", build_id_hex);
    id.push_back(static_cast<unsigned char>(v));
  }
  if (!std::getenv("DEBUGINFOD_URLS"))
    return make_error(ErrorCode::NotPresent, "no vmlinux given and DEBUGINFOD_URLS is not set to fetch build-id {}", build_id_hex);
  char* path = nullptr;
  int fd = debuginfod_fetch(id.data(), static_cast<int>(id.size()), &path);
  if (fd < 0)
    return make_error(ErrorCode::NotPresent, "debuginfod has no debug info for build-id {}: {}", build_id_hex, std::strerror(-fd));
  ::close(fd);
  std::string p(path);
  std::free(path);
  return open(p, opts);
}

void KernelSymbols::set_kaslr_offset(uint64_t offset) { impl_->kaslr = offset; }
uint64_t KernelSymbols::kaslr_offset() const { return impl_->kaslr; }
const std::string& KernelSymbols::path() const { return impl_->path; }
const std::string& KernelSymbols::debug_path() const {
  const_cast<Impl*>(impl_.get())->ensure_dwarf();
  return impl_->debug_path;
}
std::string KernelSymbols::machine() const { return impl_->machine; }

std::string elf_machine_name(int em) { return machine_name(em); }

std::string KernelSymbols::build_id_hex() const {
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr;
  int n = dwfl_module_build_id(impl_->module, &bits, &vaddr);
  if (n <= 0) {
    // Not yet read: make libdwfl open the ELF first.
    Dwarf_Addr bias;
    dwfl_module_getelf(impl_->module, &bias);
    n = dwfl_module_build_id(impl_->module, &bits, &vaddr);
  }
  return n > 0 ? hex(bits, n) : std::string();
}

bool KernelSymbols::has_debug_info() const { return const_cast<Impl*>(impl_.get())->ensure_dwarf().has_value(); }

Result<Dwarf*> KernelSymbols::Impl::ensure_dwarf() {
  if (!dwarf_tried) {
    dwarf_tried = true;
    dwarf = dwfl_module_getdwarf(module, &dwarf_bias);
    if (dwarf == nullptr) {
      dwarf_error = Error{ErrorCode::NotPresent,
                          fmt::format("no DWARF debug info ({}); install the -dbg vmlinux or set DEBUGINFOD_URLS", dwfl_errmsg(-1)),
                          path, {}, {}};
    } else {
      const char* dbg = nullptr;
      dwfl_module_info(module, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, &dbg);
      if (dbg) debug_path = dbg;
      // The complete type index is cached by build-id once a lookup had to walk all units.
      std::string cache_file, stamp;
      const unsigned char* bits = nullptr;
      GElf_Addr vaddr;
      int n = dwfl_module_build_id(module, &bits, &vaddr);
      struct stat st;
      if (n > 0 && ::stat(debug_path.c_str(), &st) == 0) {
        if (auto dir = resolve_cache_dir(opts.cache_dir)) {
          cache_file = fmt::format("{}/types-{}.idx", *dir, hex(bits, n));
          stamp = fmt::format("{:x}", static_cast<uint64_t>(st.st_size));
        }
      }
      types = std::make_unique<TypeIndex>(dwarf, cache_file, stamp);
    }
  }
  if (dwarf == nullptr) return std::unexpected(*dwarf_error);
  return dwarf;
}

Result<TypeIndex*> KernelSymbols::Impl::type_index() {
  auto d = ensure_dwarf();
  if (!d) return std::unexpected(d.error());
  return types.get();
}

void KernelSymbols::Impl::build_symbols() {
  if (symbols_built) return;
  symbols_built = true;
  // Read .symtab with libelf directly: going through dwfl_module_getsym_info costs a section
  // lookup per symbol, which dominates start-up on a 200k-symbol vmlinux.
  Dwarf_Addr bias = 0;
  Elf* elf = dwfl_module_getelf(module, &bias);
  if (!elf) return;
  Elf_Scn* scn = nullptr;
  GElf_Shdr sh{};
  bool found = false;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB) {
      found = true;
      break;
    }
  }
  if (!found || sh.sh_entsize == 0) return;
  Elf_Data* data = elf_getdata(scn, nullptr);
  if (!data) return;
  size_t n = sh.sh_size / sh.sh_entsize;
  by_address.reserve(n);
  for (size_t i = 1; i < n; ++i) {
    GElf_Sym sym;
    if (!gelf_getsym(data, static_cast<int>(i), &sym)) break;
    if (sym.st_shndx == SHN_UNDEF) continue;
    int type = GELF_ST_TYPE(sym.st_info);
    if (type == STT_SECTION || type == STT_FILE) continue;
    const char* name = elf_strptr(elf, sh.sh_link, sym.st_name);
    if (!name || !*name || name[0] == '$') continue;  // '$x', '$d': arm64 mapping symbols
    by_address.push_back({sym.st_value + bias, sym.st_size, name, static_cast<uint8_t>(type),
                          static_cast<uint8_t>(GELF_ST_BIND(sym.st_info))});
  }
  // Among symbols at one address, the preferred one sorts first: sized functions/objects,
  // then globals (crash shows the same preference for aliases such as sys_x/__x64_sys_x).
  auto rank = [](const LinkSymbol& s) {
    int r = 0;
    if (s.type == STT_FUNC || s.type == STT_OBJECT) r -= 4;
    if (s.size > 0) r -= 2;
    if (s.binding == STB_GLOBAL) r -= 1;
    return r;
  };
  std::sort(by_address.begin(), by_address.end(), [&](const LinkSymbol& a, const LinkSymbol& b) {
    if (a.address != b.address) return a.address < b.address;
    int ra = rank(a), rb = rank(b);
    if (ra != rb) return ra < rb;
    return std::strcmp(a.name, b.name) < 0;
  });
}

const LinkSymbol* KernelSymbols::Impl::find_by_name(std::string_view name) {
  build_symbols();
  // A few lookups scan linearly; a caller that resolves many names gets a hash index.
  if (by_name.empty() && ++name_lookups > 8) {
    by_name.reserve(by_address.size());
    for (size_t i = 0; i < by_address.size(); ++i) {
      auto [it, inserted] = by_name.emplace(by_address[i].name, i);
      if (!inserted && by_address[it->second].binding != STB_GLOBAL && by_address[i].binding == STB_GLOBAL) it->second = i;
    }
  }
  if (!by_name.empty()) {
    auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : &by_address[it->second];
  }
  const LinkSymbol* best = nullptr;
  for (const LinkSymbol& s : by_address) {
    if (name != s.name) continue;
    if (!best || (best->binding != STB_GLOBAL && s.binding == STB_GLOBAL)) best = &s;
  }
  return best;
}

std::optional<SymbolHit> KernelSymbols::Impl::vmlinux_symbol(uint64_t runtime) const {
  uint64_t link = runtime - kaslr;
  if (link < low || link >= high) return std::nullopt;
  auto it = std::upper_bound(by_address.begin(), by_address.end(), link,
                             [](uint64_t a, const LinkSymbol& s) { return a < s.address; });
  if (it == by_address.begin()) return std::nullopt;
  uint64_t at = std::prev(it)->address;
  auto first = std::lower_bound(by_address.begin(), it, at, [](const LinkSymbol& s, uint64_t a) { return s.address < a; });
  const LinkSymbol& s = *first;
  return SymbolHit{s.name, s.address + kaslr, link - s.address, s.size, std::nullopt, type_char(s)};
}

std::optional<SourceLocation> KernelSymbols::Impl::source_for(Dwfl_Module* mod, uint64_t addr, bool inline_chain) const {
  // Several line-table rows can share an address (a function's opening line, its first
  // statement, inlined callees' lines); gdb, and so crash, report the last is_stmt row of
  // them. libdw keeps rows of one address in table order after sorting.
  Dwarf_Addr bias = 0;
  Dwarf_Die* cu = dwfl_module_addrdie(mod, addr, &bias);
  if (cu == nullptr) return std::nullopt;
  Dwarf_Lines* lines = nullptr;
  size_t nlines = 0;
  if (dwarf_getsrclines(cu, &lines, &nlines) != 0 || nlines == 0) return std::nullopt;
  const Dwarf_Addr pc = addr - bias;
  size_t lo = 0, hi = nlines;  // first row with address > pc
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    Dwarf_Addr a = 0;
    dwarf_lineaddr(dwarf_onesrcline(lines, mid), &a);
    if (a <= pc) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0) return std::nullopt;
  Dwarf_Line* row = dwarf_onesrcline(lines, lo - 1);
  Dwarf_Addr row_addr = 0;
  dwarf_lineaddr(row, &row_addr);
  for (size_t k = lo; k-- > 0;) {  // the last is_stmt row at that address, as gdb chooses
    Dwarf_Line* r = dwarf_onesrcline(lines, k);
    Dwarf_Addr a = 0;
    bool stmt = false;
    if (r == nullptr || dwarf_lineaddr(r, &a) != 0 || a != row_addr) break;
    if (dwarf_linebeginstatement(r, &stmt) == 0 && stmt) {
      row = r;
      break;
    }
  }
  bool end_seq = false;
  if (row == nullptr || (dwarf_lineendsequence(row, &end_seq) == 0 && end_seq)) return std::nullopt;
  SourceLocation loc;
  const char* file = dwarf_linesrc(row, nullptr, nullptr);
  if (file) loc.file = file;
  dwarf_lineno(row, &loc.line);
  dwarf_linecol(row, &loc.column);
  if (!inline_chain) return loc;
  // Inline chain: the scopes at the address, innermost first, up to the real function.
  std::string file_here = loc.file;
  int line_here = loc.line;
  if (cu) {
    Dwarf_Die* scopes = nullptr;
    int n = dwarf_getscopes(cu, addr - bias, &scopes);
    // dwarf_getscopes continues from an inline instance into its abstract origin; the chain
    // of concrete inline instances comes from the physical nesting of the innermost scope.
    if (n > 0) {
      Dwarf_Die innermost = scopes[0];
      std::free(scopes);
      scopes = nullptr;
      n = dwarf_getscopes_die(&innermost, &scopes);
    }
    Dwarf_Files* files = nullptr;
    size_t nfiles = 0;
    dwarf_getsrcfiles(cu, &files, &nfiles);
    for (int i = 0; i < n; ++i) {
      int tag = dwarf_tag(&scopes[i]);
      if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram) continue;
      Dwarf_Attribute a;
      const char* fname = nullptr;
      if (dwarf_attr_integrate(&scopes[i], DW_AT_name, &a)) fname = dwarf_formstring(&a);
      loc.inlined.push_back({fname ? fname : "??", file_here, line_here});
      if (tag == DW_TAG_subprogram) break;
      // The next outer frame is positioned at this inline instance's call site.
      Dwarf_Word cf = 0, cl = 0;
      file_here.clear();
      line_here = 0;
      if (dwarf_attr(&scopes[i], DW_AT_call_file, &a) && dwarf_formudata(&a, &cf) == 0 && files) {
        const char* f = dwarf_filesrc(files, cf, nullptr, nullptr);
        if (f) file_here = f;
      }
      if (dwarf_attr(&scopes[i], DW_AT_call_line, &a) && dwarf_formudata(&a, &cl) == 0) line_here = static_cast<int>(cl);
    }
    std::free(scopes);
  }
  return loc;
}

Result<SymbolHit> KernelSymbols::symbolize(uint64_t addr) const {
  impl_->build_symbols();
  if (auto hit = impl_->vmlinux_symbol(addr)) return *hit;
  if (const LoadedModule* m = impl_->module_at(addr)) {
    GElf_Off off = 0;
    GElf_Sym sym;
    const char* name = dwfl_module_addrinfo(m->dwfl_module, addr, &off, &sym, nullptr, nullptr, nullptr);
    if (name) {
      char c = GELF_ST_TYPE(sym.st_info) == STT_FUNC ? 't' : 'd';
      return SymbolHit{name, addr - off, off, sym.st_size, m->name,
                       GELF_ST_BIND(sym.st_info) == STB_GLOBAL ? static_cast<char>(c - 32) : c};
    }
  }
  if (impl_->by_address.empty() && impl_->modules.empty())
    return error_at_address(ErrorCode::NotPresent, addr, fmt::format("{} has no symbol table (stripped?)", impl_->path));
  return error_at_address(ErrorCode::NotPresent, addr, "no symbol covers this address");
}

Result<AddressInfo> KernelSymbols::address_info(uint64_t addr, bool inline_chain) const {
  auto sym = symbolize(addr);
  if (!sym) return std::unexpected(sym.error());
  AddressInfo info{*sym, std::nullopt};
  if (sym->module) {
    for (auto& m : impl_->modules)
      if (m->name == *sym->module) info.source = impl_->source_for(m->dwfl_module, addr, inline_chain);
  } else if (impl_->ensure_dwarf()) {
    info.source = impl_->source_for(impl_->module, addr - impl_->kaslr, inline_chain);
  }
  return info;
}

Result<SymbolHit> KernelSymbols::lookup_symbol(std::string_view name) const {
  if (const LinkSymbol* found = impl_->find_by_name(name)) {
    const LinkSymbol& s = *found;
    // x86_64 SMP per-CPU variables (and absolute symbols) are offsets from 0, not kernel-image
    // addresses: KASLR does not move them. The image itself always links in the top half.
    const bool kernel_image = impl_->high >= 0x8000000000000000ull;
    const uint64_t slide = kernel_image && s.address < 0x8000000000000000ull ? 0 : impl_->kaslr;
    return SymbolHit{s.name, s.address + slide, 0, s.size, std::nullopt, type_char(s)};
  }
  for (auto& m : impl_->modules) {
    int n = dwfl_module_getsymtab(m->dwfl_module);
    for (int i = 1; i < n; ++i) {
      GElf_Sym sym;
      GElf_Addr addr;
      const char* sn = dwfl_module_getsym_info(m->dwfl_module, i, &sym, &addr, nullptr, nullptr, nullptr);
      if (sn && name == sn && sym.st_shndx != SHN_UNDEF) return SymbolHit{sn, addr, 0, sym.st_size, m->name, '?'};
    }
  }
  if (impl_->by_address.empty())
    return make_error(ErrorCode::NotPresent, "{} has no symbol table (stripped?), cannot find '{}'", impl_->path, name);
  return make_error(ErrorCode::NotPresent, "no symbol named '{}'", name);
}

Result<uint64_t> KernelSymbols::symbol_address(std::string_view name) const {
  auto s = lookup_symbol(name);
  if (!s) return std::unexpected(s.error());
  return s->address;
}

Result<std::string> KernelSymbols::linux_banner() const {
  const LinkSymbol* sym = impl_->find_by_name("linux_banner");
  if (!sym) return make_error(ErrorCode::NotPresent, "{}: no linux_banner symbol", impl_->path);
  uint64_t addr = sym->address;
  Dwarf_Addr bias = 0;
  Elf* elf = dwfl_module_getelf(impl_->module, &bias);
  if (!elf) return make_error(ErrorCode::NotPresent, "{}: ELF unavailable", impl_->path);
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC)) continue;
    if (addr < sh.sh_addr || addr >= sh.sh_addr + sh.sh_size) continue;
    if (sh.sh_type == SHT_NOBITS)
      return make_error(ErrorCode::NotPresent, "{}: linux_banner's section has no contents (a separate debug file?)", impl_->path);
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || !data->d_buf) break;
    uint64_t off = addr - sh.sh_addr;
    if (off >= data->d_size) break;
    const char* p = static_cast<const char*>(data->d_buf) + off;
    size_t max = data->d_size - off;
    std::string s(p, strnlen(p, max));
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
  }
  return make_error(ErrorCode::NotPresent, "{}: linux_banner is outside every section with contents", impl_->path);
}

Result<std::string> KernelSymbols::osrelease() const {
  auto b = linux_banner();
  if (!b) return std::unexpected(b.error());
  const std::string prefix = "Linux version ";
  if (b->rfind(prefix, 0) != 0) return make_error(ErrorCode::Format, "{}: unexpected linux_banner '{}'", impl_->path, *b);
  size_t end = b->find(' ', prefix.size());
  return b->substr(prefix.size(), end == std::string::npos ? std::string::npos : end - prefix.size());
}

Result<uint64_t> parse_address(std::string_view text) {
  std::string_view t = text;
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) t.remove_prefix(2);
  if (t.empty()) return make_error(ErrorCode::Usage, "'{}' is not an address", text);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v, 16);
  if (ec != std::errc() || p != t.data() + t.size()) return make_error(ErrorCode::Usage, "'{}' is not a hex address", text);
  return v;
}

}  // namespace kdx::symbols

// Test helper: a bounds-checked ELF64 core reader exposing PT_LOAD virtual addresses and notes.
#include "support/elf_core_stack_memory.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "support/paths.hpp"

namespace kdx::test {

std::string fixture_file(const std::string& rel, const char* env) {
  if (const char* e = std::getenv(env); e && file_exists(e)) return e;
  std::string plain = testdata_path(rel);
  if (file_exists(plain)) return plain;
  std::string xz = plain + ".xz";
  if (!file_exists(xz)) return "";
  std::string flat = rel;
  for (char& ch : flat)
    if (ch == '/') ch = '-';
  std::string out = std::string(KDX_BINARY_DIR) + "/unwind-fixture-" + flat;
  if (!file_exists(out)) {
    // A private temporary and an atomic rename: ctest may run two tests that want it at once.
    std::string tmp = out + ".tmp." + std::to_string(::getpid());
    std::string cmd = "xz -dc '" + xz + "' > '" + tmp + "' && mv '" + tmp + "' '" + out + "'";
    if (std::system(cmd.c_str()) != 0) {
      std::remove(tmp.c_str());
      return "";
    }
  }
  return out;
}

namespace {
template <typename T>
bool get(const uint8_t* d, size_t size, uint64_t off, T& out) {
  if (off > size || sizeof(T) > size - off) return false;
  std::memcpy(&out, d + off, sizeof(T));
  return true;
}
}  // namespace

ElfCoreVirtMemory::~ElfCoreVirtMemory() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

std::unique_ptr<ElfCoreVirtMemory> ElfCoreVirtMemory::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st;
  if (::fstat(fd, &st) != 0 || st.st_size < 64) {
    ::close(fd);
    return nullptr;
  }
  void* m = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (m == MAP_FAILED) return nullptr;
  auto core = std::unique_ptr<ElfCoreVirtMemory>(new ElfCoreVirtMemory);
  core->data_ = static_cast<const uint8_t*>(m);
  core->size_ = static_cast<size_t>(st.st_size);
  const uint8_t* d = core->data_;
  size_t n = core->size_;
  if (std::memcmp(d, "\x7f" "ELF", 4) != 0 || d[4] != 2 || d[5] != 1) return nullptr;
  uint16_t type = 0, phentsize = 0, phnum = 0;
  uint64_t phoff = 0;
  if (!get(d, n, 16, type) || type != 4 || !get(d, n, 32, phoff) || !get(d, n, 54, phentsize) ||
      !get(d, n, 56, phnum) || phentsize < 56)
    return nullptr;
  for (uint16_t i = 0; i < phnum; ++i) {
    uint64_t ph = phoff + uint64_t{i} * phentsize;
    uint32_t ptype = 0;
    uint64_t off = 0, vaddr = 0, filesz = 0, memsz = 0;
    if (!get(d, n, ph, ptype) || !get(d, n, ph + 8, off) || !get(d, n, ph + 16, vaddr) ||
        !get(d, n, ph + 32, filesz) || !get(d, n, ph + 40, memsz))
      return nullptr;
    if (off > n || filesz > n - off) return nullptr;
    if (ptype == 1) {
      core->segs_.push_back({vaddr, off, filesz, memsz});
    } else if (ptype == 4) {
      uint64_t p = off, end = off + filesz;
      while (p + 12 <= end) {
        uint32_t namesz = 0, descsz = 0, ntype = 0;
        get(d, n, p, namesz);
        get(d, n, p + 4, descsz);
        get(d, n, p + 8, ntype);
        uint64_t name_at = p + 12;
        uint64_t desc_at = name_at + ((uint64_t{namesz} + 3) & ~uint64_t{3});
        uint64_t next = desc_at + ((uint64_t{descsz} + 3) & ~uint64_t{3});
        if (next > end) break;
        std::string name(reinterpret_cast<const char*>(d + name_at), namesz ? namesz - 1 : 0);
        if (ntype == 1 && name == "CORE")
          core->prstatus.emplace_back(d + desc_at, d + desc_at + descsz);
        else if (name == "VMCOREINFO")
          core->vmcoreinfo.assign(reinterpret_cast<const char*>(d + desc_at), descsz);
        p = next;
      }
    }
  }
  return core;
}

std::string ElfCoreVirtMemory::info(const std::string& key) const {
  std::string needle = key + "=";
  size_t at = 0;
  while ((at = vmcoreinfo.find(needle, at)) != std::string::npos) {
    if (at == 0 || vmcoreinfo[at - 1] == '\n') {
      size_t end = vmcoreinfo.find('\n', at);
      return vmcoreinfo.substr(at + needle.size(), end == std::string::npos ? end : end - at - needle.size());
    }
    at += needle.size();
  }
  return "";
}

Result<void> ElfCoreVirtMemory::read_virt(uint64_t vaddr, std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    uint64_t a = vaddr + done;
    const Segment* s = nullptr;
    for (const auto& seg : segs_)
      if (a >= seg.vaddr && a - seg.vaddr < seg.memsz) {
        s = &seg;
        break;
      }
    if (!s) return error_at_address(ErrorCode::NotPresent, a, "not in any PT_LOAD");
    uint64_t in = a - s->vaddr;
    uint64_t chunk = std::min<uint64_t>(out.size() - done, s->memsz - in);
    for (uint64_t i = 0; i < chunk; ++i)
      out[done + i] = in + i < s->filesz ? data_[s->offset + in + i] : 0;
    done += chunk;
  }
  return {};
}

}  // namespace kdx::test

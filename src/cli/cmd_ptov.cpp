// `kdx ptov PADDR...` (physical -> direct-map and kernel-image virtual, crash's ptov) and `kdx kvtop VADDR...` (direct-map / kernel-image virtual -> physical by arithmetic, checked against the page tables).
#include <filesystem>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "kdx/exit_codes.hpp"
#include "kdx/memory/kernel_address_space.hpp"
#include "session.hpp"
#include "task_space.hpp"

namespace kdx::cli {
namespace {

std::string hex(uint64_t v) { return fmt::format("{:#x}", v); }
nlohmann::json hex_or_null(std::optional<uint64_t> v) { return v ? nlohmann::json(hex(*v)) : nlohmann::json(nullptr); }

// Splits positionals into hex numbers and files (a file name that is also hex, like "abc",
// counts as a file only when it exists: Session classifies it).
bool split_args(const std::vector<std::string>& args, std::vector<uint64_t>& addrs, std::vector<std::string>& files,
                const char* cmd) {
  for (const auto& a : args) {
    if (auto v = parse_hex_address(a); v && files.empty()) addrs.push_back(*v);
    else files.push_back(a);
  }
  if (addrs.empty()) {
    if (!files.empty() && !std::filesystem::exists(files.front()))
      fmt::print(stderr, "kdx {}: '{}' is neither a hex address nor a file\n", cmd, files.front());
    else
      fmt::print(stderr, "kdx {}: missing address\n", cmd);
    return false;
  }
  return true;
}

// Both commands' start: addresses and files from the positionals, then the kernel's address
// space. nullptr after printing why (exit_code says how to exit).
KernelAddressSpace* open_space(Session& session, const std::vector<std::string>& args, std::vector<uint64_t>& addrs,
                               const char* cmd, int& exit_code) {
  std::vector<std::string> files;
  if (!split_args(args, addrs, files, cmd)) {
    exit_code = kExitUsage;
    return nullptr;
  }
  session.add_files(files);
  auto tt = session.target();
  if (!tt) {
    exit_code = report_error(tt.error());
    return nullptr;
  }
  auto mem = (*tt)->memory();
  if (!mem) {
    exit_code = report_error(mem.error());
    return nullptr;
  }
  return *mem;
}

// The walk's answer for vaddr, for cross-checking an arithmetic conversion.
std::optional<uint64_t> walked(KernelAddressSpace& as, uint64_t vaddr) {
  auto r = as.translate_uncached(vaddr);
  return r ? std::optional<uint64_t>(*r) : std::nullopt;
}

class PtovCommand : public Command {
 public:
  const char* name() const override { return "ptov"; }
  const char* help() const override {
    return "Physical to virtual: the direct-map (arm64: linear-map) address and, inside the kernel image, the image address";
  }
  void configure(CLI::App& sub) override {
    sub.add_option("args", args_, "PADDR... (hex, 0x optional), then the dump and optionally vmlinux")->required();
    sub.add_flag("--json", json_, "print [{paddr, direct_map, kernel_image}] (null where none)");
  }
  int run(Session& session) override {
    std::vector<uint64_t> addrs;
    int exit_code = kExitOk;
    KernelAddressSpace* space = open_space(session, args_, addrs, "ptov", exit_code);
    if (!space) return exit_code;
    KernelAddressSpace& as = *space;
    const PageTableWalker& w = as.walker();
    nlohmann::json out = nlohmann::json::array();
    int rc = kExitOk;
    if (!json_ && !session.json) fmt::print("VIRTUAL           PHYSICAL\n");
    for (uint64_t p : addrs) {
      std::optional<uint64_t> dm = w.phys_to_direct_map(p);
      // The image alias exists only where the image is mapped: confirm with a walk.
      std::optional<uint64_t> img = w.phys_to_kernel_image(p);
      if (img && walked(as, *img) != p) img.reset();
      if (!dm && !img) rc = kExitPartial;
      if (json_ || session.json) {
        out.push_back({{"paddr", hex(p)}, {"direct_map", hex_or_null(dm)}, {"kernel_image", hex_or_null(img)}});
        continue;
      }
      if (dm) fmt::print("{:<16x}  {:x}\n", *dm, p);
      if (img) fmt::print("{:<16x}  {:x}  (kernel image)\n", *img, p);
      if (!dm && !img) fmt::print("{:<16}  {:x}  (outside the direct map)\n", "-", p);
    }
    if (json_ || session.json) fmt::print("{}\n", out.dump(2));
    return rc;
  }

 private:
  std::vector<std::string> args_;
  bool json_ = false;
};

class KvtopCommand : public Command {
 public:
  const char* name() const override { return "kvtop"; }
  const char* help() const override {
    return "Kernel virtual to physical without a walk (direct map, kernel image), checked against the page tables";
  }
  void configure(CLI::App& sub) override {
    sub.add_option("args", args_, "VADDR... (hex, 0x optional), then the dump and optionally vmlinux")->required();
    sub.add_flag("--json", json_, "print [{vaddr, paddr, how, walked}] (null where none)");
  }
  int run(Session& session) override {
    std::vector<uint64_t> addrs;
    int exit_code = kExitOk;
    KernelAddressSpace* space = open_space(session, args_, addrs, "kvtop", exit_code);
    if (!space) return exit_code;
    KernelAddressSpace& as = *space;
    const PageTableWalker& w = as.walker();
    nlohmann::json out = nlohmann::json::array();
    int rc = kExitOk;
    bool json = json_ || session.json;
    if (!json) fmt::print("VIRTUAL           PHYSICAL  HOW\n");
    for (uint64_t v : addrs) {
      std::optional<uint64_t> p = w.direct_map_to_phys(v);
      std::string how = "direct map";
      if (!p) {
        p = w.kernel_image_to_phys(v);
        how = "kernel image";
      }
      if (!p) how = "not a direct-map or kernel-image address: use vtop";
      std::optional<uint64_t> wk = walked(as, v);
      if (!p || wk != p) rc = kExitPartial;
      if (json) {
        out.push_back({{"vaddr", hex(v)}, {"paddr", hex_or_null(p)}, {"how", p ? how : "none"}, {"walked", hex_or_null(wk)}});
        continue;
      }
      std::string check;
      if (p && wk && *wk != *p) check = fmt::format("  (the page tables say {:x})", *wk);
      else if (p && !wk) check = "  (not mapped in the page tables)";
      fmt::print("{:<16x}  {:<8}  {}{}\n", v, p ? fmt::format("{:x}", *p) : "-", how, check);
    }
    if (json) fmt::print("{}\n", out.dump(2));
    return rc;
  }

 private:
  std::vector<std::string> args_;
  bool json_ = false;
};

}  // namespace

KDX_REGISTER_COMMAND(PtovCommand)
KDX_REGISTER_COMMAND(KvtopCommand)

}  // namespace kdx::cli

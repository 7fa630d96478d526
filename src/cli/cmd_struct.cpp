// `kdx struct|union|whatis NAME [-o] [-x] VMLINUX`: type layouts printed exactly like crash's struct -o.
#include <cstdio>
#include <fstream>

#include <fmt/format.h>

#include "command.hpp"
#include "kdx/exit_codes.hpp"
#include "kdx/symbols/kernel_symbols.hpp"
#include "session.hpp"
#include "vmlinux_input.hpp"

namespace kdx::cli {
namespace {

class LayoutCommand : public Command {
 public:
  explicit LayoutCommand(const char* kind) : kind_(kind) {}
  void configure(CLI::App& sub) override {
    sub.add_option("name", name_, "Type name (or, for whatis, a variable)")->required();
    sub.add_option("files", files_, "[ADDR] then the vmlinux (and dump) files, recognised by content");
    sub.add_flag("-o,--offsets", offsets_, "Show member offsets");
    sub.add_flag("-x,--hex", hex_, "Print offsets and sizes in hex");
    sub.add_flag("-d,--decimal", decimal_, "Print offsets and sizes in decimal (the default)");
  }
  int run(Session& session) override {
    // crash's `struct NAME ADDR`: the first argument that is not a file is the object's address.
    std::optional<uint64_t> obj;
    std::vector<std::string> files;
    for (auto& f : files_) {
      if (!obj && kind_ != std::string_view("whatis") && !std::ifstream(f).good())
        if (auto a = symbols::parse_address(f)) {
          obj = *a;
          continue;
        }
      files.push_back(f);
    }
    session.add_files(files);
    if (hex_ && decimal_) return report_error(Error{ErrorCode::Usage, "-d and -x are mutually exclusive", {}, {}, {}});
    // crash's `struct NAME.member[,member...]`.
    if (kind_ != std::string_view("whatis"))
      if (auto dot = name_.find('.'); dot != std::string::npos) {
        type_ = name_.substr(0, dot);
        std::string list = name_.substr(dot + 1);
        for (size_t p = 0;;) {
          size_t c = list.find(',', p);
          members_.push_back(list.substr(p, c == std::string::npos ? std::string::npos : c - p));
          if (c == std::string::npos) break;
          p = c + 1;
        }
        for (const auto& m : members_)
          if (m.empty()) return report_error(Error{ErrorCode::Usage, fmt::format("'{}': empty member name", name_), {}, {}, {}});
        name_ = type_;
      }
    if (obj && !(offsets_ && !members_.empty())) return print_object(session, *obj);
    auto ks = open_vmlinux_from(session.files);
    if (!ks) return report_error(ks.error());
    std::string_view kind = kind_;
    if (kind == "whatis") {
      // A variable first (crash's whatis prints its declaration), then a type.
      if ((*ks)->lookup_symbol(name_)) {
        auto decl = (*ks)->variable_declaration(name_);
        if (decl) {
          fmt::print("{}\n", *decl);
          return kExitOk;
        }
      }
      kind = "";
    }
    auto text = members_.empty() ? (*ks)->format_layout(kind, name_, offsets_, hex_)
                                 : (*ks)->format_member_layout(kind, name_, members_, hex_);
    if (!text) return report_error(text.error());
    fmt::print("{}", *text);
    return kExitOk;
  }

 protected:
  int print_object(Session& session, uint64_t addr) {
    auto t = session.target();
    if (!t) return report_error(t.error());
    auto* ks = (*t)->symbols();
    if (!ks) return report_error(Error{ErrorCode::Usage, "struct NAME ADDR needs the vmlinux: without it, types are unavailable (kallsyms only)", {}, {}, {}});
    auto size = ks->type_size(name_);
    if (!size) return report_error(size.error());
    if (*size > (16u << 20)) return report_error(Error{ErrorCode::Usage, fmt::format("{} is {} bytes: too big to print", name_, *size), {}, {}, {}});
    auto mem = (*t)->memory();
    if (!mem) return report_error(mem.error());
    std::vector<uint8_t> bytes(*size);
    if (auto r = (*mem)->read_virt(addr, bytes); !r) return report_error(r.error());
    auto text = members_.empty() ? ks->format_object(kind_, name_, bytes) : ks->format_member_values(kind_, name_, members_, bytes);
    if (!text) return report_error(text.error());
    fmt::print("{}", *text);
    return kExitOk;
  }
  const char* kind_;
  std::string name_, type_;
  std::vector<std::string> members_;  // NAME.m1,m2
  std::vector<std::string> files_;
  bool offsets_ = false, hex_ = false, decimal_ = false;
};

class StructCommand : public LayoutCommand {
 public:
  StructCommand() : LayoutCommand("struct") {}
  const char* name() const override { return "struct"; }
  const char* help() const override { return "Show a struct's layout from the debug info (-o: member offsets), as crash does"; }
};

class UnionCommand : public LayoutCommand {
 public:
  UnionCommand() : LayoutCommand("union") {}
  const char* name() const override { return "union"; }
  const char* help() const override { return "Show a union's layout from the debug info, as crash does"; }
};

class WhatisCommand : public LayoutCommand {
 public:
  WhatisCommand() : LayoutCommand("whatis") {}
  const char* name() const override { return "whatis"; }
  const char* help() const override { return "Show a variable's declaration or a type's definition, as crash does"; }
};

}  // namespace
}  // namespace kdx::cli

using kdx::cli::StructCommand;
using kdx::cli::UnionCommand;
using kdx::cli::WhatisCommand;
KDX_REGISTER_COMMAND(StructCommand)
KDX_REGISTER_COMMAND(UnionCommand)
KDX_REGISTER_COMMAND(WhatisCommand)

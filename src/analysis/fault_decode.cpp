// Fault decoding from report text: x86 #PF error code and trap numbers, arm64 ESR fields, address class.
// Bit layouts: Intel SDM vol. 3 §4.7 (page-fault error code), Arm ARM D17.2.37 (ESR_EL1).
#include "kdx/analysis/fault_decode.hpp"

#include <fmt/format.h>

#include <regex>

#include "kdx/analysis/oops_lines.hpp"

namespace kdx::analysis {
namespace {

std::string hex(uint64_t v) { return fmt::format("{:#x}", v); }

std::string detect_arch(const std::vector<std::string>& report) {
  for (const auto& l : report) {
    auto t = trim(l);
    if (t.starts_with("pc : [<") || t.starts_with("PC is at") || t.starts_with("r10:") || t.starts_with("r0 :"))
      return "arm";
    if (t.starts_with("pc : ") || t.starts_with("x29:") || t.starts_with("pstate:") || t.starts_with("ESR = ") ||
        t.starts_with("Mem abort info") || t.starts_with("x29 :"))
      return "arm64";
    if (t.starts_with("EIP:") || t.starts_with("EIP is at")) return "x86";
    if (t.starts_with("RIP:") || t.starts_with("RSP:") || t.starts_with("RAX:") || t.starts_with("CR2:") ||
        t.starts_with("#PF:"))
      return "x86_64";
  }
  return "";
}

struct Trap {
  const char* header;
  int number;
  const char* name;
};
constexpr Trap kTraps[] = {
    {"divide error", 0, "divide error (#DE)"},          {"int3", 3, "breakpoint (#BP)"},
    {"invalid opcode", 6, "invalid opcode (#UD)"},       {"PANIC: double fault", 8, "double fault (#DF)"},
    {"stack segment", 12, "stack-segment fault (#SS)"},  {"general protection fault", 13, "general protection (#GP)"},
    {"unable to handle page fault", 14, "page fault (#PF)"},
    {"unable to handle kernel paging request", 14, "page fault (#PF)"},
    {"NULL pointer dereference", 14, "page fault (#PF)"},
    {"kernel BUG at", 6, "invalid opcode (#UD) from BUG()"},
};

std::optional<uint64_t> regex_hex(const std::vector<std::string>& report, const std::regex& re, int group = 1) {
  for (const auto& l : report) {
    std::smatch m;
    if (std::regex_search(l, m, re)) {
      if (auto v = parse_hex(m[group].str())) return v;
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<FaultField> decode_x86_pf_error(uint64_t code) {
  std::vector<FaultField> f;
  f.push_back({"P", std::to_string(code & 1), (code & 1) ? "protection violation" : "not-present page"});
  f.push_back({"W/R", std::to_string((code >> 1) & 1), (code & 2) ? "write" : "read"});
  f.push_back({"U/S", std::to_string((code >> 2) & 1), (code & 4) ? "user mode" : "kernel mode"});
  if (code & 8) f.push_back({"RSVD", "1", "reserved bit set in a paging entry"});
  if (code & 16) f.push_back({"I/D", "1", "instruction fetch"});
  if (code & 32) f.push_back({"PK", "1", "protection-key violation"});
  if (code & 64) f.push_back({"SS", "1", "shadow-stack access"});
  if (code & (1u << 15)) f.push_back({"SGX", "1", "SGX violation"});
  return f;
}

std::string arm64_fsc_text(uint64_t fsc) {
  int level = static_cast<int>(fsc & 3);
  switch (fsc & 0x3c) {
    case 0x00: return fmt::format("level {} address size fault", level);
    case 0x04: return fmt::format("level {} translation fault", level);
    case 0x08: return fmt::format("level {} access flag fault", level);
    case 0x0c: return fmt::format("level {} permission fault", level);
    default: break;
  }
  switch (fsc) {
    case 0x10: return "synchronous external abort";
    case 0x11: return "synchronous tag check fault";
    case 0x14: case 0x15: case 0x16: case 0x17:
      return fmt::format("level {} synchronous external abort on translation table walk", level);
    case 0x18: return "synchronous parity or ECC error";
    case 0x21: return "alignment fault";
    case 0x30: return "TLB conflict abort";
    case 0x31: return "unsupported atomic hardware update fault";
    case 0x34: return "implementation defined fault (lockdown)";
    case 0x35: return "implementation defined fault (unsupported exclusive or atomic access)";
    default: return "unknown fault status";
  }
}

std::vector<FaultField> decode_arm64_esr(uint64_t esr) {
  std::vector<FaultField> f;
  uint64_t ec = (esr >> 26) & 0x3f;
  uint64_t il = (esr >> 25) & 1;
  uint64_t iss = esr & 0x1ffffff;
  const char* ec_name = "unknown";
  switch (ec) {
    case 0x00: ec_name = "UNKNOWN"; break;
    case 0x01: ec_name = "WFx"; break;
    case 0x07: ec_name = "FP/ASIMD access"; break;
    case 0x0e: ec_name = "illegal execution state"; break;
    case 0x15: ec_name = "SVC (AArch64)"; break;
    case 0x18: ec_name = "system register access"; break;
    case 0x19: ec_name = "SVE access"; break;
    case 0x20: ec_name = "IABT (lower EL)"; break;
    case 0x21: ec_name = "IABT (current EL)"; break;
    case 0x22: ec_name = "PC alignment"; break;
    case 0x24: ec_name = "DABT (lower EL)"; break;
    case 0x25: ec_name = "DABT (current EL)"; break;
    case 0x26: ec_name = "SP alignment"; break;
    case 0x2c: ec_name = "FP exception (AArch64)"; break;
    case 0x2f: ec_name = "SError"; break;
    case 0x30: ec_name = "breakpoint (lower EL)"; break;
    case 0x31: ec_name = "breakpoint (current EL)"; break;
    case 0x32: ec_name = "software step (lower EL)"; break;
    case 0x33: ec_name = "software step (current EL)"; break;
    case 0x34: ec_name = "watchpoint (lower EL)"; break;
    case 0x35: ec_name = "watchpoint (current EL)"; break;
    case 0x3c: ec_name = "BRK (AArch64)"; break;
    default: break;
  }
  f.push_back({"ESR", hex(esr), ""});
  f.push_back({"EC", fmt::format("{:#x}", ec), ec_name});
  f.push_back({"IL", std::to_string(il), il ? "32-bit instruction" : "16-bit instruction"});
  f.push_back({"ISS", fmt::format("{:#08x}", iss), ""});
  bool dabt = ec == 0x24 || ec == 0x25;
  bool iabt = ec == 0x20 || ec == 0x21;
  if (dabt || iabt) {
    uint64_t fsc = iss & 0x3f;
    f.push_back({dabt ? "DFSC" : "IFSC", fmt::format("{:#04x}", fsc), arm64_fsc_text(fsc)});
    if (dabt) {
      f.push_back({"ISV", std::to_string((iss >> 24) & 1), ((iss >> 24) & 1) ? "syndrome valid" : "no syndrome"});
      f.push_back({"WnR", std::to_string((iss >> 6) & 1), ((iss >> 6) & 1) ? "write" : "read"});
      f.push_back({"CM", std::to_string((iss >> 8) & 1), ((iss >> 8) & 1) ? "cache maintenance" : ""});
    }
    f.push_back({"S1PTW", std::to_string((iss >> 7) & 1), ((iss >> 7) & 1) ? "stage 2 fault on stage 1 walk" : ""});
    f.push_back({"EA", std::to_string((iss >> 9) & 1), ((iss >> 9) & 1) ? "external abort" : ""});
    f.push_back({"FnV", std::to_string((iss >> 10) & 1), ((iss >> 10) & 1) ? "FAR not valid" : "FAR valid"});
    f.push_back({"SET", std::to_string((iss >> 11) & 3), ""});
  }
  return f;
}

std::string classify_address(std::string_view arch, uint64_t a) {
  if (a < 0x10000) return "null+offset";
  if (arch == "x86_64" || arch.empty()) {
    if (a < 0x0000800000000000ULL) return "user";
    if (a < 0xffff800000000000ULL) return "non-canonical";
    return "kernel";
  }
  if (arch == "arm64") {
    // TTBR0 covers [0, 2^VA_BITS), TTBR1 the top 2^VA_BITS; 52-bit VAs push both bounds out.
    if (a < (1ULL << 52)) return a < (1ULL << 48) ? "user" : "between user and kernel ranges";
    if (a >= 0xfff0000000000000ULL) return "kernel";
    return "between user and kernel ranges";
  }
  if (arch == "arm" || arch == "x86") {
    if (a > 0xffffffffULL) return "non-canonical";
    return a < 0xc0000000ULL ? "user" : "kernel";
  }
  return "";
}

FaultInfo decode_fault(const std::vector<std::string>& report, std::string_view header) {
  FaultInfo fi;
  fi.arch = detect_arch(report);
  std::string h(header);
  if (fi.arch.empty() && (h.find("Unable to handle kernel") != std::string::npos)) fi.arch = "arm64";

  // Faulting address, from the header first (it is what the kernel reports), then CR2.
  static const std::regex addr_res[] = {
      std::regex(R"(at virtual address ([0-9a-fA-Fx]+))"),
      std::regex(R"(address: ([0-9a-fA-Fx]+))"),
      std::regex(R"((?:paging request|dereference) at ([0-9a-fA-Fx]+))"),
      std::regex(R"(for (?:non-canonical )?address (0x[0-9a-fA-F]+))"),
      std::regex(R"(Unhandled fault: .* at (0x[0-9a-fA-F]+))"),
  };
  for (const auto& re : addr_res) {
    std::smatch m;
    if (std::regex_search(h, m, re)) {
      fi.address = parse_hex(m[1].str());
      if (fi.address) break;
    }
  }
  if (!fi.address) {
    static const std::regex cr2(R"(^\s*CR2: ([0-9a-f]+))");
    fi.address = regex_hex(report, cr2);
  }
  if (fi.address) {
    fi.address_class = classify_address(fi.arch, *fi.address);
    for (const auto& l : report) {
      if (l.find("address between user and kernel address ranges") != std::string::npos)
        fi.address_class = "between user and kernel ranges";
    }
  }

  if (fi.arch == "x86_64" || fi.arch == "x86" || fi.arch.empty()) {
    for (const Trap& t : kTraps) {
      if (h.find(t.header) != std::string::npos) {
        fi.trap = t.number;
        fi.trap_name = t.name;
        break;
      }
    }
    static const std::regex pf_code(R"(#PF: error_code\((0x[0-9a-f]+)\))");
    static const std::regex oops_code(R"(^\s*Oops: ([0-9a-f]{4}) \[#)");
    std::optional<uint64_t> code = regex_hex(report, pf_code);
    if (!code) code = regex_hex(report, oops_code);
    if (code && fi.trap && *fi.trap == 14) {
      fi.error_code = code;
      fi.fields = decode_x86_pf_error(*code);
      fi.access = (*code & 16) ? "exec" : (*code & 2) ? "write" : "read";
    } else if (code && fi.trap) {
      fi.error_code = code;
      fi.fields.push_back({"error_code", hex(*code), *code ? "segment selector index" : "no selector"});
    }
    for (const auto& l : report) {
      if (l.find("KASAN: maybe wild-memory-access") != std::string::npos ||
          l.find("KASAN: null-ptr-deref in range") != std::string::npos ||
          l.find("KASAN: probably user-memory-access") != std::string::npos) {
        fi.fields.push_back({"KASAN", "", std::string(trim(l))});
      }
    }
  }
  if (fi.arch == "arm64") {
    static const std::regex esr_line(R"(^\s*ESR = (0x[0-9a-f]+))");
    static const std::regex oops_esr(R"(Internal error: Oops: ([0-9a-f]+) \[#)");
    auto esr = regex_hex(report, oops_esr);
    auto esr2 = regex_hex(report, esr_line);
    // Some vendors' logs print a truncated "ESR =" line; the die() value carries the EC bits.
    if (!esr || ((*esr >> 26) == 0 && esr2)) esr = esr2;
    if (esr) {
      fi.esr = esr;
      fi.fields = decode_arm64_esr(*esr);
      uint64_t ec = (*esr >> 26) & 0x3f;
      if (ec == 0x20 || ec == 0x21) fi.access = "exec";
      if (ec == 0x24 || ec == 0x25) fi.access = ((*esr >> 6) & 1) ? "write" : "read";
    }
    if (fi.address) fi.fields.push_back({"FAR", hex(*fi.address), fi.address_class});
  }
  return fi;
}

}  // namespace kdx::analysis

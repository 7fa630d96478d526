// Symbolizer timing probe: resolves a file of addresses to symbol+line, or prints one struct layout, and reports time.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kdx/symbols/kernel_symbols.hpp"

int main(int argc, char** argv) {
  if (argc < 4) {
    fmt::print(stderr, "usage: symbols_bench resolve|resolve-inline VMLINUX ADDRESS_FILE | struct VMLINUX TYPE\n");
    return 2;
  }
  std::string mode = argv[1];
  auto t0 = std::chrono::steady_clock::now();
  auto ks = kdx::symbols::KernelSymbols::open(argv[2]);
  if (!ks) {
    fmt::print(stderr, "{}\n", ks.error().to_string());
    return 3;
  }
  size_t with_symbol = 0, with_line = 0, total = 0;
  if (mode == "resolve" || mode == "resolve-inline") {
    std::ifstream in(argv[3]);
    std::string line;
    std::vector<uint64_t> addrs;
    while (std::getline(in, line))
      if (auto a = kdx::symbols::parse_address(line)) addrs.push_back(*a);
    for (uint64_t a : addrs) {
      auto info = (*ks)->address_info(a, mode == "resolve-inline");
      ++total;
      if (info) {
        ++with_symbol;
        if (info->source && info->source->line > 0) ++with_line;
      }
    }
  } else {
    auto text = (*ks)->format_layout("struct", argv[3], true);
    if (!text) {
      fmt::print(stderr, "{}\n", text.error().to_string());
      return 1;
    }
    total = with_symbol = 1;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  fmt::print("kdx {} seconds={:.3f} maxrss_kb={} total={} symbol={} line={}\n", mode, secs, ru.ru_maxrss, total,
             with_symbol, with_line);
  return 0;
}

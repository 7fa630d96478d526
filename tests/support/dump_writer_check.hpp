// Test helpers that open synthetic dumps from memory or disk and compare every page with the description.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "kdx/dump/dump.hpp"
#include "support/dump_writer.hpp"
#include "support/paths.hpp"

namespace kdx::test {

// Writes each buffer to a temp file and opens them together as one dump.
inline Result<std::unique_ptr<dump::Dump>> open_bytes(const std::vector<Bytes>& files, const std::string& stem) {
  std::vector<std::string> paths;
  for (size_t i = 0; i < files.size(); ++i) {
    paths.push_back(temp_path(stem + "." + std::to_string(i)));
    write_file(paths.back(), files[i]);
  }
  return dump::open_dump(paths);
}

// Reads back every pfn of m through d: present pages byte for byte, excluded ones as zeros
// with state Excluded, holes as NotPresent errors.
inline void expect_same_memory(dump::Dump& d, const SynthMemory& m) {
  const uint64_t ps = m.page_size;
  std::vector<uint8_t> buf(ps);
  size_t mismatches = 0;
  for (uint64_t pfn = 0; pfn < m.max_pfn; ++pfn) {
    auto st = d.page_state(pfn * ps);
    auto r = d.read_phys(pfn * ps, buf);
    if (auto it = m.pages.find(pfn); it != m.pages.end()) {
      EXPECT_EQ(st, PageState::Present) << "pfn " << pfn;
      ASSERT_TRUE(r.has_value()) << "pfn " << pfn << ": " << r.error().to_string();
      if (buf != it->second && ++mismatches < 5) ADD_FAILURE() << "bytes differ at pfn " << pfn;
    } else if (m.excluded.count(pfn)) {
      EXPECT_EQ(st, PageState::Excluded) << "pfn " << pfn;
      ASSERT_TRUE(r.has_value()) << "pfn " << pfn << ": " << r.error().to_string();
      EXPECT_EQ(std::count(buf.begin(), buf.end(), 0), static_cast<long>(ps)) << "excluded pfn " << pfn;
    } else {
      EXPECT_EQ(st, PageState::Hole) << "pfn " << pfn;
      EXPECT_FALSE(r.has_value()) << "hole pfn " << pfn << " read successfully";
      if (!r) {
        EXPECT_EQ(r.error().code, ErrorCode::NotPresent);
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
  // A read crossing page boundaries returns the concatenation.
  if (m.pages.count(0) && m.pages.count(1)) {
    std::vector<uint8_t> two(ps);
    ASSERT_TRUE(d.read_phys(ps / 2, two).has_value());
    EXPECT_TRUE(std::equal(two.begin(), two.begin() + ps / 2, m.pages.at(0).begin() + ps / 2));
    EXPECT_TRUE(std::equal(two.begin() + ps / 2, two.end(), m.pages.at(1).begin()));
  }
}

}  // namespace kdx::test

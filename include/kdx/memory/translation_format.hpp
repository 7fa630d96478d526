// Formats a Translation like crash's `vtop` (text) and as the `vtop --json` object scripts rely on.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "kdx/arch/page_table_walker.hpp"

namespace kdx {

// crash-style text: VIRTUAL/PHYSICAL header, region, each level "NAME: entry_addr => entry",
// the page, the leaf entry's flags, and on failure a STOPPED line saying where and why.
std::string format_translation_text(const Translation& t);

// {"vaddr","paddr" (null when unmapped),"page_size","levels":[{"name","table","entry_addr","entry"}],
//  "flags","region","error" (null when mapped)}. Addresses and entries are "0x..." strings
// because 64-bit kernel addresses do not survive JSON readers that use doubles (jq).
nlohmann::json translation_to_json(const Translation& t);

}  // namespace kdx

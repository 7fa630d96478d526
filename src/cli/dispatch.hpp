// Runs one kdx command line (argv without the program name) against a session.
#pragma once

#include <string>
#include <vector>

#include "session.hpp"

namespace kdx::cli {

// Parses args with a fresh CLI11 app built from the registry and runs the chosen command.
// Returns its exit code; usage errors print CLI11's message and return kExitUsage.
int dispatch(const std::vector<std::string>& args, Session& session, bool top_level);

// Splits a shell line into words: whitespace separates, '...' and "..." group, \ escapes.
std::vector<std::string> split_words(const std::string& line);

}  // namespace kdx::cli

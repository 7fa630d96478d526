// kdx entry point: runs the command named on the command line.
#include <string>
#include <vector>

#include "dispatch.hpp"
#include "session.hpp"

int main(int argc, char** argv) {
  kdx::cli::Session session;
  std::vector<std::string> args(argv + 1, argv + argc);
  return kdx::cli::dispatch(args, session, true);
}

// Names of page states, shared by info output and error messages.
#include "kdx/phys_reader.hpp"

namespace kdx {
const char* page_state_name(PageState s) {
  switch (s) {
    case PageState::Present: return "present";
    case PageState::Excluded: return "excluded";
    case PageState::Missing: return "missing";
    case PageState::Hole: return "hole";
  }
  return "unknown";
}
}  // namespace kdx

// The grammar a generator spec (grammar/gen/*.spec) describes, loaded for the oracle's side of
// the differential checks: the "files" lines, read from the spec's sibling abnf/ folder, linked.
// Deliberately independent of the generator's own spec reader. Depends on: reader/abnf.hpp.
#pragma once

#include "reader/abnf.hpp"

#include <string>

namespace smtpd::oracle {

/// Loads the ABNF files named by the spec at `spec_path` from `abnf_dir`.
[[nodiscard]] abnf::LinkResult load_spec(std::string const& spec_path, std::string const& abnf_dir);

} // namespace smtpd::oracle

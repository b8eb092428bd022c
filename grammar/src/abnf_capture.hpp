// What the generated parsers (grammar/gen/) report besides accept / reject: the text matched by
// the rules a grammar spec marks "capture", as byte offsets into the input, in input order; and
// for a refused input, how far the parse got and which rule it was in there.
// Kept apart from abnf_x3.hpp so that code reading captures does not include Spirit X3.
// Depends on: the standard library only.
#pragma once

#include <cstdint>
#include <string_view>

namespace smtpd::grammar::abnf_x3 {

/// One captured match: which rule (the generated capture id) and where, as byte offsets.
struct Capture {
    std::uint16_t id = 0;
    std::uint32_t begin = 0;
    std::uint32_t end = 0;

    [[nodiscard]] std::string_view in(std::string_view input) const {
        return input.substr(begin, end - begin);
    }
    /// True if this capture is of `rule`, a generated grammar's Cap value.
    template <class CapId> [[nodiscard]] bool is(CapId rule) const {
        return id == static_cast<std::uint16_t>(rule);
    }
};

/// Where a refused input stopped making sense: the furthest offset any attempt reached, and the
/// outermost rule that started there (or, if none did, the innermost rule active there).
struct Failure {
    std::uint32_t offset = 0;
    std::string_view rule; ///< an ABNF rule name, static storage
};

} // namespace smtpd::grammar::abnf_x3

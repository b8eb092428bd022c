// matches_value (extensions.hpp): the extensions' parameter values checked with the generated
// ASCII grammar's entries for them (grammar/gen/ascii.spec). Depends on: ascii/rules.hpp.
#include "ascii/rules.hpp"
#include "smtpd/grammar/extensions.hpp"

#include <array>
#include <vector>

namespace smtpd::grammar {

namespace {

namespace ascii = gen::ascii;

constexpr std::array kValueEntries{
    ascii::Entry::rfc1870_size_value,
    ascii::Entry::rfc6152_body_value,
    ascii::Entry::rfc3461_notify_esmtp_value,
    ascii::Entry::rfc3461_ret_value,
    ascii::Entry::rfc3461_xtext,
    ascii::Entry::rfc3461_original_recipient_address,
    ascii::Entry::rfc4954_xtext,
};
static_assert(kValueEntries.size() == static_cast<std::size_t>(ValueRule::AuthXtext) + 1);

} // namespace

bool matches_value(ValueRule rule, std::string_view text) {
    std::vector<abnf_x3::Capture> ignored;
    return ascii::parse(kValueEntries.at(static_cast<std::size_t>(rule)), text, ignored);
}

} // namespace smtpd::grammar

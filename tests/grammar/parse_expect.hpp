// Test helpers shared by the grammar tests: run a parser and expect it to accept (returning the
// value) or refuse (returning the error), with the input and error position in the message.
// Depends on: grammar/ (Parsed) and GoogleTest.
#pragma once

#include "smtpd/grammar/parse.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string_view>

namespace smtpd::grammar {

/// ParseErrors in test failures as {offset, "rule", kind}.
inline void PrintTo(ParseError const& e, std::ostream* os) {
    *os << "{" << e.offset << ", \"" << e.rule << "\", kind " << static_cast<int>(e.kind) << "}";
}

} // namespace smtpd::grammar

namespace smtpd::grammar::testing {

template <class Parser> auto expect_accepted(Parser parse, std::string_view text) {
    auto parsed = parse(text);
    using T = std::decay_t<decltype(parsed.value())>;
    EXPECT_TRUE(parsed.ok()) << "refused: " << text << " at " << parsed.error().offset << " "
                             << parsed.error().rule;
    return parsed.ok() ? parsed.value() : T{};
}

template <class Parser> ParseError expect_refused(Parser parse, std::string_view text) {
    auto parsed = parse(text);
    EXPECT_FALSE(parsed.ok()) << "accepted: " << text;
    return parsed.ok() ? ParseError{} : parsed.error();
}

} // namespace smtpd::grammar::testing

// Parsed<T>: the result type of every parser in grammar/: a value, or a ParseError saying where
// and why. Parsers never throw. Limit overruns are their own error kinds so that the session can
// answer them with their own replies (RFC 5321 §4.5.3.1) instead of a generic syntax error.
// Depends on: the standard library only.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>
#include <variant>

namespace smtpd::grammar {

/// Why a parse failed. Syntax errors and limit overruns are kept apart.
enum class ErrorKind : unsigned char {
    Syntax,           ///< the input does not match the rule
    UnknownVerb,      ///< a command line whose verb is not one we implement (RFC 5321 §4.2.4: 500)
    LineTooLong,      ///< RFC 5321 §4.5.3.1.4 / .1.6
    PathTooLong,      ///< RFC 5321 §4.5.3.1.3: 256 octets incl. the angle brackets
    LocalPartTooLong, ///< RFC 5321 §4.5.3.1.1: 64 octets (refusing longer ones is allowed)
    DomainTooLong,    ///< RFC 5321 §4.5.3.1.2: 255 octets (refusing longer ones is allowed)
    ReplyTooLong,     ///< a server reply of more than kMaxReplyLines lines (client side)
};

/// Where and why a parse failed: offset into the input, and the RFC rule that did not match.
struct ParseError {
    std::size_t offset = 0;
    std::string_view rule; ///< static storage: an RFC rule name such as "Reverse-path"
    ErrorKind kind = ErrorKind::Syntax;

    friend bool operator==(ParseError const&, ParseError const&) = default;
};

/// A value of T or a ParseError.
template <class T> class Parsed {
  public:
    Parsed(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
    Parsed(ParseError error) : v_(std::move(error)) {} // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }
    [[nodiscard]] T const& value() const& { return std::get<0>(v_); }
    [[nodiscard]] T& value() & { return std::get<0>(v_); }
    [[nodiscard]] T&& value() && { return std::get<0>(std::move(v_)); }
    [[nodiscard]] ParseError const& error() const { return std::get<1>(v_); }

  private:
    std::variant<T, ParseError> v_;
};

} // namespace smtpd::grammar

// The SMTP service extensions this server knows (RFC 5321 §2.2, the EHLO keywords), and a set
// of them: what a session advertised in its EHLO reply, and so what the client may use.
// Depends on: the standard library only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace smtpd::grammar {

enum class Extension : unsigned char {
    Pipelining,          ///< RFC 2920
    Size,                ///< RFC 1870
    EightBitMime,        ///< RFC 6152
    EnhancedStatusCodes, ///< RFC 2034
    Dsn,                 ///< RFC 3461
    SmtpUtf8,            ///< RFC 6531
    Chunking,            ///< RFC 3030
    StartTls,            ///< RFC 3207
    Auth,                ///< RFC 4954
    Help,                ///< RFC 5321 §4.1.1.8 (HELP is in EHLO replies by custom)
};
inline constexpr std::size_t kExtensionCount = static_cast<std::size_t>(Extension::Help) + 1;

/// The EHLO keyword of an extension ("PIPELINING", "8BITMIME", ...).
[[nodiscard]] std::string_view extension_keyword(Extension extension);

/// A set of extensions.
class Extensions {
  public:
    constexpr Extensions() = default;
    constexpr Extensions(std::initializer_list<Extension> list) {
        for (Extension e : list) {
            bits_ |= bit(e);
        }
    }
    [[nodiscard]] constexpr bool has(Extension e) const { return (bits_ & bit(e)) != 0; }
    [[nodiscard]] constexpr Extensions with(Extension e) const { return from_bits(bits_ | bit(e)); }
    [[nodiscard]] constexpr Extensions without(Extension e) const {
        return from_bits(bits_ & ~bit(e));
    }
    [[nodiscard]] constexpr bool empty() const { return bits_ == 0; }
    friend constexpr bool operator==(Extensions, Extensions) = default;

  private:
    static constexpr std::uint16_t bit(Extension e) {
        return static_cast<std::uint16_t>(1U << static_cast<unsigned>(e));
    }
    static constexpr Extensions from_bits(std::uint16_t bits) {
        Extensions x;
        x.bits_ = bits;
        return x;
    }
    std::uint16_t bits_ = 0;
};

} // namespace smtpd::grammar

namespace smtpd::grammar {

/// The esmtp-value rules of the extensions' MAIL and RCPT parameters, checked against the
/// generated grammar: RFC 1870 size-value, RFC 6152 body-value, RFC 3461 notify-esmtp-value,
/// ret-value, xtext (ENVID) and original-recipient-address (ORCPT), RFC 4954 xtext (AUTH=).
enum class ValueRule : unsigned char { Size, Body, Notify, Ret, Xtext, Orcpt, AuthXtext };

/// True if all of `text` matches the rule.
[[nodiscard]] bool matches_value(ValueRule rule, std::string_view text);

} // namespace smtpd::grammar

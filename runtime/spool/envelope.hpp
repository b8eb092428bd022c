// The on-disk envelope of a queued message: a versioned text format, one "key value" line each,
// every value %XX-escaped outside visible ASCII (0x21..0x7E) and for '%' itself, so that no byte of
// an address, a HELO name, an xtext parameter or a remote reply can start a new field (the
// CVE-2020-8794 class). The decoder is strict (unknown keys, duplicates, bad escapes, a missing
// field, a value out of its range: no envelope) and fuzzed. Version 2 adds the RFC 3461 DSN
// parameters (kept for later bounces), BODY, SMTPUTF8, SIZE, TLS and the RFC 4954 §5 identities;
// version 1 files are still read, with those at their defaults. Depends on: the standard library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::rt {

/// The version written. Files of versions 1..kEnvelopeVersion are read.
///
/// Version 2, in the order written (the decoder takes lines in any order after "version"):
///   version 2
///   id <id>               created <seconds>       helo <name>          client <address>
///   local 0|1             sender <path>           (empty for <>)
///   auth-user <user>      (empty: not authenticated)
///   tls 0|1               body |7BIT|8BITMIME     smtputf8 0|1         ret |FULL|HDRS
///   envid <xtext>         auth-param <xtext>      size <octets>        (each may be empty)
///   rcpt <address> <user> <maildir> <notify 0..15> <orcpt>     (one line per recipient, >= 1)
///   attempts <count>      error <last error>
/// Version 1 has neither the keys from auth-user to size nor the last two rcpt fields; a
/// version 1 file that has any of them is refused, and a version 2 file must have all of them.
inline constexpr unsigned kEnvelopeVersion = 2;

/// The values `QueuedEnvelope::body` and `QueuedEnvelope::ret` may hold (RFC 6152, RFC 3461 §4.3);
/// "" means the parameter was not given.
inline constexpr std::string_view kBody7Bit = "7BIT";
inline constexpr std::string_view kBody8BitMime = "8BITMIME";
inline constexpr std::string_view kRetFull = "FULL";
inline constexpr std::string_view kRetHdrs = "HDRS";

/// RFC 3461 §4.1 NOTIFY bits, the same values as sm::NotifyFlag; 0 means NOTIFY was not given.
inline constexpr std::uint8_t kQueuedNotifyNever = 1U << 0U;
inline constexpr std::uint8_t kQueuedNotifySuccess = 1U << 1U;
inline constexpr std::uint8_t kQueuedNotifyFailure = 1U << 2U;
inline constexpr std::uint8_t kQueuedNotifyDelay = 1U << 3U;
inline constexpr std::uint8_t kQueuedNotifyMask = 0x0F;

/// One recipient and where it was resolved to deliver when it was accepted.
struct QueuedRecipient {
    std::string address;   ///< as accepted: local-part@domain
    std::string user;      ///< the system user the delivery runs for
    std::string maildir;   ///< the expanded Maildir path
    std::uint8_t notify{}; ///< RFC 3461 NOTIFY bits (kQueuedNotify*); 0 when not given
    std::string orcpt{};   ///< RFC 3461 ORCPT, addr-type ";" xtext as sent; "" when not given
    friend bool operator==(QueuedRecipient const&, QueuedRecipient const&) = default;
};

struct QueuedEnvelope {
    std::string id;
    std::int64_t created = 0; ///< seconds since the epoch
    std::string helo;
    std::string client_address;
    bool client_local = false; ///< the connection came from a local address (match from local)
    std::string sender;        ///< "" for the null reverse-path <>
    std::vector<QueuedRecipient> recipients;
    unsigned attempts = 0;
    std::string last_error;
    // Version 2. Defaults are what a version 1 file decodes to; each has an initializer so that
    // positional initializations written for version 1 stay complete.
    std::string auth_user{};  ///< the user of a successful AUTH; "" when not authenticated
    bool tls{};               ///< the message was received over TLS
    std::string body{};       ///< "", kBody7Bit or kBody8BitMime (RFC 6152)
    bool smtputf8{};          ///< MAIL carried SMTPUTF8 (RFC 6531)
    std::string ret{};        ///< "", kRetFull or kRetHdrs (RFC 3461 §4.3)
    std::string envid{};      ///< RFC 3461 §4.4 ENVID xtext as sent; "" when not given
    std::string auth_param{}; ///< RFC 4954 §5 MAIL AUTH= xtext as sent ("<>" included)
    std::optional<std::uint64_t> declared_size{}; ///< RFC 1870 SIZE as declared

    friend bool operator==(QueuedEnvelope const&, QueuedEnvelope const&) = default;
};

/// Encodes at kEnvelopeVersion. Any bytes in the string fields are safe; `body`, `ret` and
/// `notify` outside their documented values give text the decoder refuses.
[[nodiscard]] std::string encode_envelope(QueuedEnvelope const& envelope);
/// Decodes a version 1 or 2 envelope; none if anything in it is out of place.
[[nodiscard]] std::optional<QueuedEnvelope> decode_envelope(std::string_view text);

} // namespace smtpd::rt

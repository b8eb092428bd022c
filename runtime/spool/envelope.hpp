// The on-disk envelope of a queued message: a versioned text format, one "key value" line each,
// every value %XX-escaped outside visible ASCII (0x21..0x7E) and for '%' itself, so that no byte of
// an address, a HELO name, a path, a command or a remote reply can start a new field (the
// CVE-2020-8794 class). The decoder is strict (unknown keys, duplicates, bad escapes, a missing
// field, a value out of its range: no envelope) and fuzzed. Version 3 records how each recipient
// is delivered (method, run-as user, target, flags) and the scheduler's timestamps; version 4 the
// listener the message came in on; version 5 the relay method. Versions 1 to 4 are still read,
// with what they lack at its defaults.
// Depends on: the standard library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::rt {

/// The version written. Files of versions 1..kEnvelopeVersion are read.
///
/// Version 5, in the order written (the decoder takes lines in any order after "version"):
///   version 5
///   id <id>               created <seconds>       helo <name>          client <address>
///   local 0|1             listener <address>      sender <path>        (empty for <>)
///   auth-user <user>      (empty: not authenticated)
///   tls 0|1               body |7BIT|8BITMIME     smtputf8 0|1         ret |FULL|HDRS
///   envid <xtext>         auth-param <xtext>      size <octets>        (each may be empty)
///   rcpt <address> <user> <target> <notify 0..15> <orcpt> <method> <action> <uid> <gid>
///        <home> <junk 0|1> <rcpt-to 0|1> <dest>             (one line per recipient, >= 1)
///   attempts <count>      last-try <seconds>      last-warn <seconds>  (0: never)
///   error <last error>
/// <method> is maildir, mbox, lmtp, mda or relay; <target> is, for each, the expanded Maildir
/// path, the mbox file, the LMTP destination as configured, the mda command before its
/// expansion, or empty (relay: the action named by <action> says how, and the address's domain
/// where); <uid> and <gid> are empty when the user is to be looked up at delivery (and for relay).
/// <address> after "listener" is the local address and port the connection was accepted on
/// ("127.0.0.1:25", "[::1]:587"): which `listen on` socket took the message. Version 4 is version 5
/// without the method relay. Version 3 has no listener. Version 2 has neither last-try nor
/// last-warn, and its rcpt lines end after <orcpt>; version 1 also lacks the keys from auth-user to
/// size and its rcpt lines end after <target>. A file that has a key or a recipient field of a
/// later version than its own is refused, and a file must have every key of its version. What an
/// older file lacks decodes to: method maildir, action, home and flags empty or 0, uid and gid
/// unknown, last-try and last-warn 0, listener empty.
inline constexpr unsigned kEnvelopeVersion = 5;

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
    /// How the recipient is delivered (smtpd.conf(5) actions; a /file from an alias is Mbox).
    /// Relay: sent on by the MTA (version 5).
    enum class Method : unsigned char { Maildir, Mbox, Lmtp, Mda, Relay };

    std::string address;   ///< as accepted: local-part@domain
    std::string user;      ///< the system user the delivery runs as
    std::string target;    ///< Maildir path, mbox file, LMTP destination or raw mda command
    std::uint8_t notify{}; ///< RFC 3461 NOTIFY bits (kQueuedNotify*); 0 when not given
    std::string orcpt{};   ///< RFC 3461 ORCPT, addr-type ";" xtext as sent; "" when not given
    // Version 3.
    Method method{};                    ///< Maildir in older files
    std::string action{};               ///< the smtpd.conf action it was resolved by
    std::optional<std::uint32_t> uid{}; ///< of `user`; unknown in older files
    std::optional<std::uint32_t> gid{};
    std::string home{}; ///< `user`'s home directory
    bool junk{};        ///< Maildir: file into the Junk folder
    bool rcpt_to{};     ///< Lmtp: RCPT TO is `address` (else `user`)
    std::string dest{}; ///< the address an alias made of `address` (%{dest}); "" if none
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
    // positional initializations written for version 1 stay complete (so for version 3).
    std::string auth_user{};  ///< the user of a successful AUTH; "" when not authenticated
    bool tls{};               ///< the message was received over TLS
    std::string body{};       ///< "", kBody7Bit or kBody8BitMime (RFC 6152)
    bool smtputf8{};          ///< MAIL carried SMTPUTF8 (RFC 6531)
    std::string ret{};        ///< "", kRetFull or kRetHdrs (RFC 3461 §4.3)
    std::string envid{};      ///< RFC 3461 §4.4 ENVID xtext as sent; "" when not given
    std::string auth_param{}; ///< RFC 4954 §5 MAIL AUTH= xtext as sent ("<>" included)
    std::optional<std::uint64_t> declared_size{}; ///< RFC 1870 SIZE as declared
    // Version 3: for the scheduler, seconds since the epoch; 0 means never.
    std::int64_t last_try{};  ///< the last delivery attempt
    std::int64_t last_warn{}; ///< the last delay notice sent to the sender
    // Version 4.
    std::string listener{}; ///< local "address:port" the message was received on; "" if unknown

    friend bool operator==(QueuedEnvelope const&, QueuedEnvelope const&) = default;
};

/// The address a relayed recipient is sent to: what an alias made of it (`dest`), else itself.
[[nodiscard]] std::string const& relay_address(QueuedRecipient const& recipient);
/// The domain of relay_address(), lowercased unless an address literal; "" without an '@'. The
/// queue hands the MTA one domain per request.
[[nodiscard]] std::string relay_domain(QueuedRecipient const& recipient);

/// Encodes at kEnvelopeVersion. Any bytes in the string fields are safe; `body`, `ret`, `notify`,
/// `method` and negative timestamps outside their documented values give text the decoder
/// refuses.
[[nodiscard]] std::string encode_envelope(QueuedEnvelope const& envelope);
/// One recipient as the fields of its "rcpt" line at kEnvelopeVersion (no key, no LF): how the
/// lookup role hands resolved recipients to the dispatcher, in the same strict encoding.
[[nodiscard]] std::string encode_recipient(QueuedRecipient const& recipient);
/// The reverse of encode_recipient; none if anything is out of place.
[[nodiscard]] std::optional<QueuedRecipient> decode_recipient(std::string_view fields);

/// Decodes a version 1 to 5 envelope; none if anything in it is out of place.
[[nodiscard]] std::optional<QueuedEnvelope> decode_envelope(std::string_view text);

} // namespace smtpd::rt

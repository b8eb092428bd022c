// The Sender Rewriting Scheme in OpenSMTPD's format (its srs.c): forward() turns a sender
// local@domain into SRS0=HHHH=TT=domain=local@ours (an SRS0 or SRS1 sender into SRS1), and
// reverse() turns such an address back, checking the hash against the key then the backup key,
// and the age against the ttl. HHHH is the first four base64url characters of SHA-1(key || the
// text after "SRSn=HHHH="), as OpenSMTPD computes it (a keyed prefix hash, not an HMAC); TT is
// the day number modulo 1024 in two base32 characters. Only the "SRS0="/"SRS1=" tags are matched
// without case; hash and timestamp are case-sensitive, as in OpenSMTPD. Pure: the caller passes
// the time. Depends on: common/, OpenSSL (SHA-1).
#pragma once

#include "common/clock.hpp"
#include "common/result.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace smtpd::rt::srs {

enum class SrsErrc : int {
    NotSrs = 1, ///< the local part does not start with SRS0= or SRS1=
    Malformed,  ///< SRS0=/SRS1= but not the layout of one, or a sender that cannot be rewritten
    Forged,     ///< the hash matches neither the key nor the backup key
    Expired,    ///< the timestamp is older than the ttl (or more than a day ahead)
    TooLong,    ///< the rewritten address would pass the limits below
};

[[nodiscard]] std::error_category const& srs_category();

[[nodiscard]] inline std::error_code make_error_code(SrsErrc e) {
    return {static_cast<int>(e), srs_category()};
}

/// OpenSMTPD's default ttl: SMTPD_QUEUE_EXPIRY (4 days) in days.
inline constexpr std::chrono::days kDefaultTtl{4};
/// Timestamps count days modulo this (10 bits, two base32 characters).
inline constexpr std::uint16_t kTimestampModulus = 1024;
/// OpenSMTPD's SMTPD_MAXMAILADDRSIZE less its NUL: the longest address it rewrites to.
inline constexpr std::size_t kMaxAddress = 255;
/// RFC 5321 §4.5.3.1.1: the local part a server must accept. Our RCPT parser refuses longer
/// ones, so a longer SRS address could not come back to us: forward() does not make one.
inline constexpr std::size_t kMaxLocalPart = 64;

/// The secrets and ttl of smtpd.conf's `srs key`, `srs key backup` and `srs ttl`.
struct Keys {
    std::string key;                       ///< signs new addresses; accepted when checking
    std::optional<std::string> backup_key; ///< also accepted when checking (key rotation)
    std::chrono::days ttl = kDefaultTtl;   ///< how old an address reverse() still accepts
};

/// True when `local_part` starts with "SRS0=" or "SRS1=", in any case.
[[nodiscard]] bool is_srs(std::string_view local_part);

/// The day number of `now` modulo kTimestampModulus, the TT of an SRS0 address.
[[nodiscard]] std::uint16_t timestamp(SysSeconds now);

/// The four hash characters of `data` under `key`: base64url(SHA-1(key || data))[0..4].
[[nodiscard]] std::string hash(std::string_view key, std::string_view data);

/// The sender as rewritten for a message forwarded from `rcpt_domain` (one of ours: the domain
/// of the recipient that was forwarded): local@domain gives SRS0=HHHH=TT=domain=local@rcpt_domain;
/// SRS0=HHHH=TT=d=l@hop gives SRS1=HHHH=hop==HHHH=TT=d=l@rcpt_domain; an SRS1 sender keeps its
/// first hop and gets a new hash and domain. Fails with Malformed for a null, quoted or
/// domain-less sender, TooLong past kMaxLocalPart or kMaxAddress; the caller then keeps the
/// sender as it was, as OpenSMTPD does.
[[nodiscard]] Result<std::string> forward(std::string_view sender, std::string_view rcpt_domain,
                                          std::string_view key, SysSeconds now);

/// The address an SRS address (local@domain as received) stands for: an SRS0 address gives the
/// original sender, an SRS1 address the SRS0 address of the first hop. Fails with NotSrs,
/// Malformed, Forged or Expired (for SRS1, the age is the inner SRS0's, as in OpenSMTPD).
[[nodiscard]] Result<std::string> reverse(std::string_view address, Keys const& keys,
                                          SysSeconds now);

} // namespace smtpd::rt::srs

template <> struct std::is_error_code_enum<smtpd::rt::srs::SrsErrc> : std::true_type {};

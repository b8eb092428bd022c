// The TLS protocol lists of smtpd.conf's `protocols` option, read as libtls's
// tls_config_parse_protocols(3) of LibreSSL 3.8+ reads them: keywords separated by ',' or ':', in
// any case, each perhaps preceded by blanks and by '!' (remove rather than add; a list that starts
// with a removal starts from `all`). Shared by the configuration's check and the relay's TLS
// context, so that both read the same text the same way. Depends on: the standard library.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace smtpd::conf {

/// Bits of a protocol set, as libtls numbers them.
enum TlsProtocol : std::uint32_t {
    kTlsV1_0 = 1U << 1,
    kTlsV1_1 = 1U << 2,
    kTlsV1_2 = 1U << 3,
    kTlsV1_3 = 1U << 4,
};

/// `all` and `legacy` (libtls no longer speaks TLS 1.0 or 1.1): TLS 1.2 and 1.3.
inline constexpr std::uint32_t kTlsProtocolsAll = kTlsV1_2 | kTlsV1_3;
/// `secure` and `default`, and the set without a `protocols` option.
inline constexpr std::uint32_t kTlsProtocolsDefault = kTlsV1_2 | kTlsV1_3;
/// `tlsv1`: every TLS 1.x.
inline constexpr std::uint32_t kTlsProtocolsV1 = kTlsV1_0 | kTlsV1_1 | kTlsV1_2 | kTlsV1_3;

/// The set `text` names, or nothing for an unknown keyword or an empty text. The set may be
/// empty ("!all"); "tlsv1.0" and "tlsv1.1" are read but never negotiated.
[[nodiscard]] std::optional<std::uint32_t> parse_tls_protocols(std::string_view text);

} // namespace smtpd::conf

// What the parameters of MAIL and RCPT mean (RFC 5321 §4.1.2 esmtp-param) for the extensions
// a session advertised: SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531), RET, ENVID,
// NOTIFY, ORCPT (RFC 3461), AUTH= (RFC 4954 §5). One verdict per command, so the table picks
// 555, 501 or 552 by a named predicate. Pure: no I/O.
// Depends on: grammar/ (EsmtpParam, Extensions, matches_value).
#pragma once

#include "smtpd/grammar/command.hpp"
#include "smtpd/grammar/extensions.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace smtpd::sm {

/// RFC 6152 BODY.
enum class Body : unsigned char { Unspecified, SevenBit, EightBitMime };
/// RFC 3461 §4.3 RET.
enum class Ret : unsigned char { Unspecified, Full, Headers };

/// RFC 3461 §4.1 NOTIFY, as flags.
enum NotifyFlag : std::uint8_t {
    kNotifyNever = 1U << 0U,
    kNotifySuccess = 1U << 1U,
    kNotifyFailure = 1U << 2U,
    kNotifyDelay = 1U << 3U,
};

/// The MAIL parameters, as the envelope keeps them.
struct MailOptions {
    std::optional<std::uint64_t> size; ///< declared SIZE
    Body body = Body::Unspecified;
    bool smtputf8 = false;
    Ret ret = Ret::Unspecified;
    std::optional<std::string> envid; ///< xtext, as sent
    std::optional<std::string> auth;  ///< AUTH= xtext, as sent
    friend bool operator==(MailOptions const&, MailOptions const&) = default;
};

/// The RCPT parameters, as the envelope keeps them.
struct RcptOptions {
    std::uint8_t notify = 0;          ///< NotifyFlag bits; 0 when NOTIFY was not given
    std::optional<std::string> orcpt; ///< addr-type ";" xtext, as sent
    friend bool operator==(RcptOptions const&, RcptOptions const&) = default;
};

enum class ParamVerdict : unsigned char {
    Ok,
    Unknown,  ///< a keyword we do not know or did not advertise: 555 5.5.4
    Invalid,  ///< a known keyword with a bad or repeated value: 501 5.5.4
    TooBig,   ///< SIZE over the limit: 552 5.3.4 (RFC 1870 §6)
    NonAscii, ///< a UTF-8 address outside an SMTPUTF8 transaction: 550/553 5.6.7 (RFC 6531 §3.5)
};

struct ParamCheck {
    ParamVerdict verdict = ParamVerdict::Ok;
    MailOptions mail;
    RcptOptions rcpt;
    friend bool operator==(ParamCheck const&, ParamCheck const&) = default;
};

/// RFC 3461 §4.4 and §4.2: ENVID and ORCPT may be up to 100 and 500 characters.
inline constexpr std::size_t kMaxEnvid = 100;
inline constexpr std::size_t kMaxOrcpt = 500;

/// Checks MAIL's parameters against the advertised extensions; `max_size` 0 means no limit.
[[nodiscard]] ParamCheck check_mail_params(std::vector<grammar::EsmtpParam> const& params,
                                           grammar::Extensions advertised, std::uint64_t max_size);

/// Checks RCPT's parameters against the advertised extensions.
[[nodiscard]] ParamCheck check_rcpt_params(std::vector<grammar::EsmtpParam> const& params,
                                           grammar::Extensions advertised);

} // namespace smtpd::sm

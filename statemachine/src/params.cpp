// params.hpp: one table of the MAIL and RCPT parameters we know, each with the extension that
// must have been advertised, the rule its value must match, and where it goes in the options.
// A keyword not in the table, or whose extension was not advertised, is Unknown (RFC 5321
// §4.1.1.11: 555); a repeated keyword or a value that does not match is Invalid (501).
// Keywords and the values of SIZE, BODY, RET, NOTIFY compare case-insensitively (RFC 5321 §2.4).
#include "smtpd/sm/params.hpp"

#include "smtpd/grammar/ascii_case.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>

namespace smtpd::sm {

namespace {

using grammar::Extension;
using grammar::ValueRule;

std::string upper(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), grammar::ascii_case::upper);
    return out;
}

/// Applies a value that matched its rule; false if it is still not acceptable.
using Apply = bool (*)(std::string const& value, ParamCheck& out, std::uint64_t max_size);

bool apply_size(std::string const& value, ParamCheck& out, std::uint64_t max_size) {
    std::uint64_t size = 0;
    auto const [end, ec] = std::from_chars(value.data(), value.data() + value.size(), size);
    // size-value is 1*20DIGIT: 20 digits may exceed uint64_t, which is over any limit anyway.
    if (ec != std::errc() || end != value.data() + value.size()) {
        size = UINT64_MAX;
    }
    out.mail.size = size;
    if (max_size != 0 && size > max_size) {
        out.verdict = ParamVerdict::TooBig;
    }
    return true;
}

bool apply_body(std::string const& value, ParamCheck& out, std::uint64_t) {
    out.mail.body = upper(value) == "7BIT" ? Body::SevenBit : Body::EightBitMime;
    return true;
}

bool apply_smtputf8(std::string const&, ParamCheck& out, std::uint64_t) {
    out.mail.smtputf8 = true;
    return true;
}

bool apply_ret(std::string const& value, ParamCheck& out, std::uint64_t) {
    out.mail.ret = upper(value) == "FULL" ? Ret::Full : Ret::Headers;
    return true;
}

bool apply_envid(std::string const& value, ParamCheck& out, std::uint64_t) {
    out.mail.envid = value;
    return value.size() <= kMaxEnvid;
}

bool apply_auth(std::string const& value, ParamCheck& out, std::uint64_t) {
    out.mail.auth = value;
    return true;
}

bool apply_notify(std::string const& value, ParamCheck& out, std::uint64_t) {
    constexpr std::array<std::pair<std::string_view, std::uint8_t>, 4> kWords{{
        {"NEVER", kNotifyNever},
        {"SUCCESS", kNotifySuccess},
        {"FAILURE", kNotifyFailure},
        {"DELAY", kNotifyDelay},
    }};
    std::string const v = upper(value);
    for (auto const& [word, flag] : kWords) {
        if (v.find(word) != std::string::npos) {
            out.rcpt.notify = static_cast<std::uint8_t>(out.rcpt.notify | flag);
        }
    }
    return true;
}

bool apply_orcpt(std::string const& value, ParamCheck& out, std::uint64_t) {
    out.rcpt.orcpt = value;
    return value.size() + std::string_view("ORCPT=").size() <= kMaxOrcpt;
}

struct ParamRow {
    grammar::Verb verb;
    std::string_view keyword;
    Extension extension;
    std::optional<ValueRule> value; ///< nullopt: the parameter takes no value
    Apply apply;
};

constexpr std::array kParams{
    ParamRow{grammar::Verb::Mail, "SIZE", Extension::Size, ValueRule::Size, apply_size},
    ParamRow{grammar::Verb::Mail, "BODY", Extension::EightBitMime, ValueRule::Body, apply_body},
    ParamRow{grammar::Verb::Mail, "SMTPUTF8", Extension::SmtpUtf8, std::nullopt, apply_smtputf8},
    ParamRow{grammar::Verb::Mail, "RET", Extension::Dsn, ValueRule::Ret, apply_ret},
    ParamRow{grammar::Verb::Mail, "ENVID", Extension::Dsn, ValueRule::Xtext, apply_envid},
    ParamRow{grammar::Verb::Mail, "AUTH", Extension::Auth, ValueRule::AuthXtext, apply_auth},
    ParamRow{grammar::Verb::Rcpt, "NOTIFY", Extension::Dsn, ValueRule::Notify, apply_notify},
    ParamRow{grammar::Verb::Rcpt, "ORCPT", Extension::Dsn, ValueRule::Orcpt, apply_orcpt},
};

ParamCheck check(grammar::Verb verb, std::vector<grammar::EsmtpParam> const& params,
                 grammar::Extensions advertised, std::uint64_t max_size) {
    ParamCheck out;
    std::uint32_t seen = 0;
    for (auto const& param : params) {
        std::string const keyword = upper(param.keyword);
        auto const row = std::find_if(kParams.begin(), kParams.end(), [&](ParamRow const& r) {
            return r.verb == verb && r.keyword == keyword && advertised.has(r.extension);
        });
        if (row == kParams.end()) {
            return ParamCheck{ParamVerdict::Unknown, {}, {}};
        }
        auto const bit = 1U << static_cast<unsigned>(row - kParams.begin());
        bool const value_ok = row->value
                                  ? param.value && grammar::matches_value(*row->value, *param.value)
                                  : !param.value;
        // BODY=BINARYMIME (RFC 3030, not advertised) is not RFC 6152's body-value: Invalid.
        if ((seen & bit) != 0 || !value_ok ||
            !row->apply(param.value.value_or(""), out, max_size)) {
            return ParamCheck{ParamVerdict::Invalid, {}, {}};
        }
        seen |= bit;
    }
    return out;
}

} // namespace

ParamCheck check_mail_params(std::vector<grammar::EsmtpParam> const& params,
                             grammar::Extensions advertised, std::uint64_t max_size) {
    return check(grammar::Verb::Mail, params, advertised, max_size);
}

ParamCheck check_rcpt_params(std::vector<grammar::EsmtpParam> const& params,
                             grammar::Extensions advertised) {
    return check(grammar::Verb::Rcpt, params, advertised, 0);
}

} // namespace smtpd::sm

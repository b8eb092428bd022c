// SRS0/SRS1 rewriting and its reverse (see srs.hpp), after OpenSMTPD's srs.c: the same hash input,
// hash length, timestamp and separators, so that addresses made by either server with the same
// key check in the other. Structure is checked before the hash, the hash before the age, so that
// each refusal has one reason. Depends on: srs.hpp, OpenSSL (EVP SHA-1, CRYPTO_memcmp,
// OPENSSL_cleanse).
#include "srs/srs.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cctype>
#include <string>

namespace smtpd::rt::srs {

namespace {

class SrsCategory final : public std::error_category {
  public:
    [[nodiscard]] char const* name() const noexcept override { return "smtpd.srs"; }
    [[nodiscard]] std::string message(int value) const override {
        switch (static_cast<SrsErrc>(value)) {
        case SrsErrc::NotSrs:
            return "not an SRS address";
        case SrsErrc::Malformed:
            return "malformed SRS address";
        case SrsErrc::Forged:
            return "SRS address with a bad hash (forged)";
        case SrsErrc::Expired:
            return "SRS address expired";
        case SrsErrc::TooLong:
            return "SRS address would be too long";
        }
        return "unknown SRS error";
    }
};

constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t kHashLength = 4;
/// "SRS0=" + HHHH + one separator.
constexpr std::size_t kHeadLength = 5 + kHashLength + 1;

Failure fail(SrsErrc code, std::string_view address, std::string_view why) {
    return failure(code, "SRS address <" + std::string(address) + ">: " + std::string(why));
}

// The separators the SRS specification allows after a tag or a hash; OpenSMTPD writes '='.
bool is_separator(char c) {
    return c == '=' || c == '+' || c == '-';
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (std::toupper(static_cast<unsigned char>(s[i])) != prefix[i]) {
            return false;
        }
    }
    return true;
}

// TT: two base32 characters, upper case only (OpenSMTPD looks them up in its upper-case table).
std::optional<std::uint16_t> decode_timestamp(std::string_view tt) {
    auto const hi = kBase32.find(tt.at(0));
    auto const lo = kBase32.find(tt.at(1));
    if (hi == std::string_view::npos || lo == std::string_view::npos) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>((hi << 5U) | lo);
}

std::string encode_timestamp(std::uint16_t t) {
    return {kBase32[(t >> 5U) & 0x1FU], kBase32[t & 0x1FU]};
}

// OpenSMTPD's timestamp_check_range: at most ttl days old, or at most one day ahead (clock
// skew between the forwarder and us), counted modulo 1024.
bool fresh(std::uint16_t stamp, std::uint16_t today, std::chrono::days ttl) {
    auto const age = (today + kTimestampModulus - stamp) % kTimestampModulus;
    auto const ahead = (stamp + kTimestampModulus - today) % kTimestampModulus;
    return age <= ttl.count() || ahead <= 1;
}

bool hash_matches(std::string_view given, std::string_view key, std::string_view data) {
    auto const computed = hash(key, data);
    return given.size() == kHashLength &&
           CRYPTO_memcmp(computed.data(), given.data(), kHashLength) == 0;
}

/// What an SRS local part decodes to, before its hash and age are checked.
struct Decoded {
    std::string address;
    std::uint16_t stamp = 0;
};

// SRS0: HHHH=TT=domain=local; the original local part may itself hold '=', a domain cannot.
Result<Decoded> decode_srs0(std::string_view address, std::string_view inner) {
    if (inner.size() < 3 || !is_separator(inner[2])) {
        return fail(SrsErrc::Malformed, address, "no timestamp");
    }
    auto const stamp = decode_timestamp(inner.substr(0, 2));
    if (!stamp) {
        return fail(SrsErrc::Malformed, address, "timestamp is not base32");
    }
    std::string_view const rest = inner.substr(3);
    auto const eq = rest.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == rest.size()) {
        return fail(SrsErrc::Malformed, address, "no domain=local part");
    }
    return Decoded{std::string(rest.substr(eq + 1)) + "@" + std::string(rest.substr(0, eq)),
                   *stamp};
}

// SRS1: HHHH=hop==HHHH=TT=...: the SRS0 address at the first hop, whose own hash only that hop
// can check; its timestamp is checked here, as OpenSMTPD does.
Result<Decoded> decode_srs1(std::string_view address, std::string_view inner) {
    auto const eq = inner.find('=');
    if (eq == std::string_view::npos || eq == 0) {
        return fail(SrsErrc::Malformed, address, "no first-hop domain");
    }
    std::string_view const srs0 = inner.substr(eq + 1); // "=HHHH=TT=..."
    if (srs0.size() < 1 + kHashLength + 1 + 3 || !is_separator(srs0[0])) {
        return fail(SrsErrc::Malformed, address, "no SRS0 part");
    }
    std::string_view const tt = srs0.substr(1 + kHashLength + 1);
    if (!is_separator(tt[2])) {
        return fail(SrsErrc::Malformed, address, "no timestamp");
    }
    auto const stamp = decode_timestamp(tt.substr(0, 2));
    if (!stamp) {
        return fail(SrsErrc::Malformed, address, "timestamp is not base32");
    }
    return Decoded{"SRS0" + std::string(srs0) + "@" + std::string(inner.substr(0, eq)), *stamp};
}

} // namespace

std::error_category const& srs_category() {
    static SrsCategory const category;
    return category;
}

bool is_srs(std::string_view local_part) {
    return starts_with_nocase(local_part, "SRS0=") || starts_with_nocase(local_part, "SRS1=");
}

std::uint16_t timestamp(SysSeconds now) {
    auto const days = std::chrono::floor<std::chrono::days>(now).time_since_epoch().count();
    return static_cast<std::uint16_t>(((days % kTimestampModulus) + kTimestampModulus) %
                                      kTimestampModulus);
}

std::string hash(std::string_view key, std::string_view data) {
    std::string input;
    input.reserve(key.size() + data.size());
    input.append(key).append(data);
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int length = 0;
    // SHA-1 of a buffer in memory fails only when OpenSSL cannot allocate; every byte then
    // stays 0 and the hash matches nothing of a real key's.
    if (EVP_Digest(input.data(), input.size(), md.data(), &length, EVP_sha1(), nullptr) != 1) {
        md.fill(0);
    }
    OPENSSL_cleanse(input.data(), input.size()); // it held the secret
    // base64 of the first three octets: the first four characters of the whole digest's.
    std::uint32_t const bits = (std::uint32_t{md[0]} << 16U) | (std::uint32_t{md[1]} << 8U) | md[2];
    std::string out;
    for (unsigned shift : {18U, 12U, 6U, 0U}) {
        out.push_back(kBase64Url[(bits >> shift) & 0x3FU]);
    }
    return out;
}

Result<std::string> forward(std::string_view sender, std::string_view rcpt_domain,
                            std::string_view key, SysSeconds now) {
    auto const at = sender.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == sender.size()) {
        return fail(SrsErrc::Malformed, sender, "a sender without local part or domain");
    }
    std::string_view const local = sender.substr(0, at);
    std::string_view const domain = sender.substr(at + 1);
    if (local.front() == '"') {
        return fail(SrsErrc::Malformed, sender, "a quoted local part cannot be rewritten");
    }
    // reverse() splits at the first '=' after the timestamp and at the last '@'.
    if (domain.find('=') != std::string_view::npos) {
        return fail(SrsErrc::Malformed, sender, "a domain with '=' cannot be rewritten");
    }
    if (rcpt_domain.empty() || rcpt_domain.find('@') != std::string_view::npos) {
        return fail(SrsErrc::Malformed, sender, "no domain of ours to rewrite to");
    }
    std::string prefix;
    std::string data;
    if (starts_with_nocase(local, "SRS0=")) {
        // <previous hop>==<the SRS0 local part without its tag>@<ours>
        prefix = "SRS1=";
        data.append(domain).append("==").append(local.substr(5));
    } else if (starts_with_nocase(local, "SRS1=")) {
        // The first hop's part is kept; only the hash and our domain change.
        std::string_view const user = local.substr(5);
        if (user.size() <= kHashLength + 1 || !is_separator(user[kHashLength])) {
            return fail(SrsErrc::Malformed, sender, "an SRS1 sender without hash");
        }
        prefix = "SRS1=";
        data.append(user.substr(kHashLength + 1));
    } else {
        prefix = "SRS0=";
        data.append(encode_timestamp(timestamp(now)))
            .append("=")
            .append(domain)
            .append("=")
            .append(local);
    }
    data.append("@").append(rcpt_domain);
    std::string out = prefix + hash(key, data) + "=" + data;
    if (out.rfind('@') > kMaxLocalPart || out.size() > kMaxAddress) {
        return fail(SrsErrc::TooLong, sender, "rewritten, it would be " + out);
    }
    return out;
}

Result<std::string> reverse(std::string_view address, Keys const& keys, SysSeconds now) {
    if (!is_srs(address)) {
        return fail(SrsErrc::NotSrs, address, "no SRS0= or SRS1= tag");
    }
    auto const at = address.rfind('@');
    if (at == std::string_view::npos || at < kHeadLength ||
        !is_separator(address[kHeadLength - 1])) {
        return fail(SrsErrc::Malformed, address, "too short for a hash");
    }
    std::string_view const local = address.substr(0, at);
    std::string_view const inner = local.substr(kHeadLength);
    bool const srs0 = address[3] == '0';
    auto decoded = srs0 ? decode_srs0(address, inner) : decode_srs1(address, inner);
    if (!decoded) {
        return decoded.error();
    }
    // The hash covers everything after "SRSn=HHHH=", our domain included.
    std::string_view const given = address.substr(5, kHashLength);
    std::string_view const signed_part = address.substr(kHeadLength);
    if (!hash_matches(given, keys.key, signed_part) &&
        !(keys.backup_key && hash_matches(given, *keys.backup_key, signed_part))) {
        return fail(SrsErrc::Forged, address, "the hash matches no key");
    }
    if (!fresh(decoded.value().stamp, timestamp(now), keys.ttl)) {
        return fail(SrsErrc::Expired, address,
                    "older than the srs ttl of " + std::to_string(keys.ttl.count()) + " days");
    }
    return std::move(decoded.value().address);
}

} // namespace smtpd::rt::srs

// The on-disk envelope of a queued message: a versioned text format, one "key value" per line,
// every value %XX-escaped outside the printable ASCII range (and '%' itself), so that no byte of
// an address, a HELO name or a remote reply can start a new field (the CVE-2020-8794 class).
// The decoder is strict (unknown keys, duplicates of single fields, bad escapes: no envelope)
// and fuzzed. Depends on: the standard library only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::rt {

inline constexpr unsigned kEnvelopeVersion = 1;

/// One recipient and where it was resolved to deliver when it was accepted.
struct QueuedRecipient {
    std::string address; ///< as accepted: local-part@domain
    std::string user;    ///< the system user the delivery runs for
    std::string maildir; ///< the expanded Maildir path
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

    friend bool operator==(QueuedEnvelope const&, QueuedEnvelope const&) = default;
};

[[nodiscard]] std::string encode_envelope(QueuedEnvelope const& envelope);
[[nodiscard]] std::optional<QueuedEnvelope> decode_envelope(std::string_view text);

} // namespace smtpd::rt

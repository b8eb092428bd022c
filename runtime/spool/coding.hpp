// The optional coding of what the queue stores (smtpd.conf's `queue compression` and `queue
// encryption`), after OpenSMTPD's queue_backend.c: a message's content and each envelope are
// compressed (gzip, RFC 1952, through zlib), then encrypted (AES-256-GCM through OpenSSL, the
// layout of OpenSMTPD's crypto.c: version byte 1, 12-octet random IV, ciphertext, 16-octet
// tag); decoding undoes both in the other order. A stored text that does not decode (a wrong
// key, a flipped byte, a cut file) is a Failure with std::errc::illegal_byte_sequence (the spool's
// "corrupt"), never retried. Pure: no I/O. Depends on: common/result.hpp, zlib, OpenSSL's
// libcrypto.
#pragma once

#include "common/result.hpp"

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace smtpd::rt {

/// crypto.c: KEY_SIZE, IV_SIZE, GCM_TAG_SIZE, API_VERSION.
inline constexpr std::size_t kQueueKeySize = 32;
inline constexpr std::size_t kQueueIvSize = 12;
inline constexpr std::size_t kQueueTagSize = 16;
inline constexpr unsigned char kQueueCryptoVersion = 1;
/// The largest text decoding produces (a decompression bomb is corrupt, not memory spent):
/// above smtpd.conf's largest max-message-size in practice.
inline constexpr std::size_t kMaxDecodedSize = std::size_t{1} << 31;

class SpoolCoding {
  public:
    /// No coding: text is stored as it is.
    SpoolCoding() = default;
    /// `key`, when given, is exactly kQueueKeySize octets (the configuration checked it).
    SpoolCoding(bool compress, std::optional<std::string> key);

    /// Whether anything is coded (else encode and decode are the identity).
    [[nodiscard]] bool active() const { return compress_ || key_.has_value(); }
    [[nodiscard]] bool compresses() const { return compress_; }
    [[nodiscard]] bool encrypts() const { return key_.has_value(); }

    /// Compresses, then encrypts.
    [[nodiscard]] Result<std::string> encode(std::string_view plain) const;
    /// Decrypts, then decompresses; errc::illegal_byte_sequence when `stored` is not what encode()
    /// makes with this coding, none of its output longer than `limit`.
    [[nodiscard]] Result<std::string> decode(std::string_view stored,
                                             std::size_t limit = kMaxDecodedSize) const;

  private:
    bool compress_ = false;
    std::optional<std::array<unsigned char, kQueueKeySize>> key_;
};

/// gzip (RFC 1952) of `plain`, one member.
[[nodiscard]] Result<std::string> gzip_compress(std::string_view plain);
/// The concatenated members of a gzip stream; illegal_byte_sequence when it is not one, or it would
/// exceed `limit`.
[[nodiscard]] Result<std::string> gzip_decompress(std::string_view gz, std::size_t limit);
/// AES-256-GCM as crypto.c's crypto_encrypt_buffer (version, IV, ciphertext, tag).
[[nodiscard]] Result<std::string> seal(std::span<unsigned char const, kQueueKeySize> key,
                                       std::string_view plain);
/// The inverse of seal(); illegal_byte_sequence on a wrong version, key or tag.
[[nodiscard]] Result<std::string> open_sealed(std::span<unsigned char const, kQueueKeySize> key,
                                              std::string_view sealed);

} // namespace smtpd::rt

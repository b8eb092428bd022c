// The queue's compression and encryption (see coding.hpp): zlib's deflate with the gzip
// wrapper, and OpenSSL's EVP AES-256-GCM with a random IV per text, as OpenSMTPD's crypto.c.
// Depends on: spool/coding.hpp, zlib, OpenSSL's libcrypto.
#include "spool/coding.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <memory>

namespace smtpd::rt {

namespace {

constexpr int kGzipWindow = 15 + 16; // zlib: window 2^15, gzip wrapper (RFC 1952)
constexpr int kMemLevel = 8;
constexpr std::size_t kChunk = std::size_t{64} * 1024;

Failure corrupt(std::string what) {
    return failure(std::make_error_code(std::errc::illegal_byte_sequence), std::move(what));
}

Failure broken(std::string what) {
    return failure(std::make_error_code(std::errc::io_error), std::move(what));
}

unsigned char* bytes(std::string& s) {
    return reinterpret_cast<unsigned char*>(s.data()); // NOLINT(*-reinterpret-cast)
}
unsigned char const* bytes(std::string_view s) {
    return reinterpret_cast<unsigned char const*>(s.data()); // NOLINT(*-reinterpret-cast)
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

/// EVP takes int lengths: texts longer than INT_MAX are refused (the queue's are far smaller).
bool fits_int(std::size_t n) {
    return n <= static_cast<std::size_t>(INT_MAX);
}

} // namespace

Result<std::string> gzip_compress(std::string_view plain) {
    if (plain.size() > UINT_MAX) { // zlib's avail_in
        return broken("text too long to compress");
    }
    z_stream z{};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindow, kMemLevel,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        return broken("deflateInit2 failed");
    }
    std::string out;
    out.resize(deflateBound(&z, static_cast<uLong>(plain.size())) + kChunk);
    z.next_in = const_cast<Bytef*>(bytes(plain)); // NOLINT(*-const-cast): zlib's API
    z.avail_in = static_cast<uInt>(plain.size());
    z.next_out = bytes(out);
    z.avail_out = static_cast<uInt>(out.size());
    int const rc = deflate(&z, Z_FINISH);
    std::size_t const produced = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        return broken("deflate failed");
    }
    out.resize(produced);
    return out;
}

Result<std::string> gzip_decompress(std::string_view gz, std::size_t limit) {
    std::string out;
    std::size_t used = 0;
    // Members one after another, as gzip(1) reads them; at least one.
    do {
        z_stream z{};
        if (inflateInit2(&z, kGzipWindow) != Z_OK) {
            return broken("inflateInit2 failed");
        }
        z.next_in = const_cast<Bytef*>(bytes(gz.substr(used))); // NOLINT(*-const-cast)
        z.avail_in = static_cast<uInt>(std::min<std::size_t>(gz.size() - used, UINT_MAX));
        int rc = Z_OK;
        while (rc == Z_OK) {
            std::size_t const before = out.size();
            std::size_t const room = std::min(kChunk, limit - before);
            if (room == 0) {
                inflateEnd(&z);
                return corrupt("compressed text larger than " + std::to_string(limit));
            }
            out.resize(before + room);
            z.next_out = bytes(out) + before;
            z.avail_out = static_cast<uInt>(room);
            rc = inflate(&z, Z_NO_FLUSH);
            out.resize(before + room - z.avail_out);
            if (rc == Z_BUF_ERROR && z.avail_in == 0) {
                break; // cut short
            }
            if (rc == Z_BUF_ERROR) {
                rc = Z_OK;
            }
        }
        std::size_t const consumed = z.total_in;
        inflateEnd(&z);
        if (rc != Z_STREAM_END) {
            return corrupt("not a whole gzip stream");
        }
        used += consumed;
    } while (used < gz.size());
    return out;
}

Result<std::string> seal(std::span<unsigned char const, kQueueKeySize> key,
                         std::string_view plain) {
    if (!fits_int(plain.size())) {
        return broken("text too long to encrypt");
    }
    std::string out(1 + kQueueIvSize + plain.size() + kQueueTagSize, '\0');
    out[0] = static_cast<char>(kQueueCryptoVersion);
    unsigned char* const iv = bytes(out) + 1;
    if (RAND_bytes(iv, static_cast<int>(kQueueIvSize)) != 1) {
        return broken("RAND_bytes failed");
    }
    CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    unsigned char* const body = iv + kQueueIvSize;
    int len = 0;
    int fin = 0;
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), iv) != 1 ||
        EVP_EncryptUpdate(ctx.get(), body, &len, bytes(plain), static_cast<int>(plain.size())) !=
            1 ||
        EVP_EncryptFinal_ex(ctx.get(), body + len, &fin) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kQueueTagSize),
                            body + plain.size()) != 1) {
        return broken("AES-256-GCM encryption failed");
    }
    return out;
}

Result<std::string> open_sealed(std::span<unsigned char const, kQueueKeySize> key,
                                std::string_view sealed) {
    if (sealed.size() < 1 + kQueueIvSize + kQueueTagSize) {
        return corrupt("encrypted text too short");
    }
    if (static_cast<unsigned char>(sealed[0]) != kQueueCryptoVersion) {
        return corrupt("unknown encryption version " +
                       std::to_string(static_cast<unsigned char>(sealed[0])));
    }
    std::string_view const iv = sealed.substr(1, kQueueIvSize);
    std::string_view const body =
        sealed.substr(1 + kQueueIvSize, sealed.size() - 1 - kQueueIvSize - kQueueTagSize);
    std::string tag(sealed.substr(sealed.size() - kQueueTagSize));
    if (!fits_int(body.size())) {
        return corrupt("encrypted text too long");
    }
    std::string out(body.size(), '\0');
    CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    int len = 0;
    int fin = 0;
    if (!ctx ||
        EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), bytes(iv)) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kQueueTagSize),
                            bytes(tag)) != 1) {
        return broken("AES-256-GCM set-up failed");
    }
    if (EVP_DecryptUpdate(ctx.get(), bytes(out), &len, bytes(body),
                          static_cast<int>(body.size())) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), bytes(out) + len, &fin) != 1) {
        return corrupt("encrypted text fails its authentication (wrong key or altered)");
    }
    return out;
}

SpoolCoding::SpoolCoding(bool compress, std::optional<std::string> key) : compress_(compress) {
    if (key) {
        std::array<unsigned char, kQueueKeySize> k{};
        std::copy_n(key->begin(), std::min(key->size(), k.size()), k.begin());
        key_ = k;
    }
}

Result<std::string> SpoolCoding::encode(std::string_view plain) const {
    std::string text(plain);
    if (compress_) {
        auto compressed = gzip_compress(text);
        if (!compressed) {
            return compressed.error();
        }
        text = std::move(compressed).value();
    }
    if (key_) {
        return seal(*key_, text);
    }
    return text;
}

Result<std::string> SpoolCoding::decode(std::string_view stored, std::size_t limit) const {
    std::string text(stored);
    if (key_) {
        auto opened = open_sealed(*key_, text);
        if (!opened) {
            return opened.error();
        }
        text = std::move(opened).value();
    }
    if (compress_) {
        return gzip_decompress(text, limit);
    }
    if (text.size() > limit) {
        return corrupt("text larger than " + std::to_string(limit));
    }
    return text;
}

} // namespace smtpd::rt

// KeyStore: the private keys of the pkis, and the only code of smtpd that touches them (EVP_PKEY).
// It loads a key, checks that it belongs to its certificate, and lends it to an SSL_CTX, nothing
// else. DESIGN.md's crypto process will hold the keys instead; this class is where that change
// goes (an SSL_CTX then gets a key whose signatures are forwarded), and nothing else moves.
// Invariant: a key file's bytes are wiped from memory once parsed.
// Depends on: common/result.hpp, tls_error.hpp, OpenSSL.
#pragma once

#include "common/result.hpp"

#include <openssl/types.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace smtpd::rt::tls {

/// The private keys of one TLS configuration, by index in load order.
class KeyStore {
  public:
    KeyStore();
    KeyStore(KeyStore&&) noexcept;
    KeyStore& operator=(KeyStore&&) noexcept;
    KeyStore(KeyStore const&) = delete;
    KeyStore& operator=(KeyStore const&) = delete;
    ~KeyStore();

    /// Loads the PEM private key in `key_file` (not encrypted) and checks that it is the key of
    /// `cert`, the certificate read from `cert_file` (named in the error). Returns its index.
    [[nodiscard]] Result<std::size_t> load(std::string const& key_file, X509* cert,
                                           std::string const& cert_file);

    /// Makes `ctx`, whose certificate is already set, sign with key `index`.
    [[nodiscard]] Result<void> attach(std::size_t index, SSL_CTX* ctx) const;

    [[nodiscard]] std::size_t size() const { return keys_.size(); }

  private:
    struct Key;
    std::vector<std::unique_ptr<Key>> keys_;
};

} // namespace smtpd::rt::tls

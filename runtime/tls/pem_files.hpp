// Certificates read from PEM files, shared by the server (tls_config) and client (client_tls)
// contexts: a file's certificates in order, and a certificate with its chain put into an
// SSL_CTX. Errors name the file. Private keys are not read here (key_store.hpp).
// Depends on: common/result.hpp, tls_config.hpp (PkiFiles), tls_error.hpp, OpenSSL.
#pragma once

#include "common/result.hpp"
#include "tls/tls_config.hpp"
#include "tls/tls_error.hpp"

#include <openssl/types.h>

#include <memory>
#include <string>
#include <vector>

namespace smtpd::rt::tls {

struct FreeX509 {
    void operator()(X509* cert) const;
};
using X509Ptr = std::unique_ptr<X509, FreeX509>;

/// Every PEM certificate in `file`, in order; `bad` (with the file's name) when there is none.
[[nodiscard]] Result<std::vector<X509Ptr>> read_certificates(std::string const& file, TlsErrc bad);

/// The certificate and chain of `files` in `ctx`; returns the leaf, which `ctx` owns.
[[nodiscard]] Result<X509*> use_certificate(SSL_CTX* ctx, PkiFiles const& files);

} // namespace smtpd::rt::tls

// read_certificates and use_certificate (see pem_files.hpp): the file is read whole, then parsed
// from memory, so that a missing file and a file without certificates say different things.
// Depends on: pem_files.hpp, common/fs.hpp, OpenSSL.
#include "tls/pem_files.hpp"

#include "common/fs.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <limits>

namespace smtpd::rt::tls {

namespace {

struct FreeBio {
    void operator()(BIO* bio) const { BIO_free(bio); }
};

} // namespace

void FreeX509::operator()(X509* cert) const {
    X509_free(cert);
}

Result<std::vector<X509Ptr>> read_certificates(std::string const& file, TlsErrc bad) {
    auto pem = read_file(file);
    if (!pem) {
        return failure(pem.error().code, file + ": " + pem.error().what());
    }
    std::vector<X509Ptr> certs;
    std::string const& text = pem.value();
    if (text.size() <= static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        std::unique_ptr<BIO, FreeBio> const bio(
            BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
        while (bio) {
            X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
            if (!cert) {
                break;
            }
            certs.push_back(std::move(cert));
        }
    }
    ERR_clear_error(); // the read that ends the loop always fails ("no start line")
    if (certs.empty()) {
        return failure(bad, file + ": no PEM certificate");
    }
    return certs;
}

Result<X509*> use_certificate(SSL_CTX* ctx, PkiFiles const& files) {
    auto certs = read_certificates(files.cert_file, TlsErrc::BadCertificate);
    if (!certs) {
        return certs.error();
    }
    auto& chain = certs.value();
    if (SSL_CTX_use_certificate(ctx, chain.front().get()) != 1) {
        return failure(TlsErrc::BadCertificate, files.cert_file + ": " + take_openssl_errors());
    }
    for (std::size_t i = 1; i < chain.size(); ++i) {
        if (SSL_CTX_add1_chain_cert(ctx, chain[i].get()) != 1) {
            return failure(TlsErrc::BadCertificate, files.cert_file + ": " + take_openssl_errors());
        }
    }
    return SSL_CTX_get0_certificate(ctx);
}

} // namespace smtpd::rt::tls

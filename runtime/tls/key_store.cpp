// KeyStore (see key_store.hpp). Keys are read from memory, never with OpenSSL's file readers, so
// the file's bytes can be wiped; a password callback that refuses keeps OpenSSL from prompting on
// a terminal for an encrypted key.
// Depends on: key_store.hpp, common/fs.hpp, tls_error.hpp, OpenSSL.
#include "tls/key_store.hpp"

#include "common/fs.hpp"
#include "tls/tls_error.hpp"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <limits>

namespace smtpd::rt::tls {

struct KeyStore::Key {
    struct Free {
        void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
    };
    std::unique_ptr<EVP_PKEY, Free> pkey;
    std::string file;
};

namespace {

int refuse_password(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*user*/) {
    return 0;
}

} // namespace

KeyStore::KeyStore() = default;
KeyStore::KeyStore(KeyStore&&) noexcept = default;
KeyStore& KeyStore::operator=(KeyStore&&) noexcept = default;
KeyStore::~KeyStore() = default;

Result<std::size_t> KeyStore::load(std::string const& key_file, X509* cert,
                                   std::string const& cert_file) {
    auto pem = read_file(key_file);
    if (!pem) {
        return failure(pem.error().code, key_file + ": " + pem.error().what());
    }
    std::string& text = pem.value();
    EVP_PKEY* raw = nullptr;
    if (text.size() <= static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
        if (bio != nullptr) {
            raw = PEM_read_bio_PrivateKey(bio, nullptr, refuse_password, nullptr);
            BIO_free(bio);
        }
    }
    OPENSSL_cleanse(text.data(), text.size());
    auto key = std::make_unique<Key>();
    key->pkey.reset(raw);
    key->file = key_file;
    if (!key->pkey) {
        std::string const why = take_openssl_errors();
        return failure(TlsErrc::BadKey, key_file + ": no usable PEM private key" +
                                            (why.empty() ? "" : " (" + why + ")"));
    }
    if (X509_check_private_key(cert, key->pkey.get()) != 1) {
        ERR_clear_error();
        return failure(TlsErrc::KeyMismatch,
                       key_file + ": the private key does not match the certificate " + cert_file);
    }
    keys_.push_back(std::move(key));
    return keys_.size() - 1;
}

Result<void> KeyStore::attach(std::size_t index, SSL_CTX* ctx) const {
    Key const& key = *keys_.at(index);
    if (SSL_CTX_use_PrivateKey(ctx, key.pkey.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        return failure(TlsErrc::KeyMismatch, key.file + ": " + take_openssl_errors());
    }
    return success();
}

} // namespace smtpd::rt::tls

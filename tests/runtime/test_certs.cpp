// TestCa (see test_certs.hpp), with OpenSSL's C API: EC P-256 keys, X.509 v3 certificates valid
// from an hour ago for a day (or expired yesterday), signed with SHA-256. A test helper: failures
// abort the test run. Depends on: test_certs.hpp, OpenSSL's libcrypto.
#include "test_certs.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace smtpd::rt::testing {

namespace {

struct FreeKey {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct FreeCert {
    void operator()(X509* c) const { X509_free(c); }
};
struct FreeBio {
    void operator()(BIO* b) const { BIO_free(b); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, FreeKey>;
using CertPtr = std::unique_ptr<X509, FreeCert>;
using BioPtr = std::unique_ptr<BIO, FreeBio>;

void require(bool ok, char const* what) {
    if (!ok) {
        std::fprintf(stderr, "test_certs: %s failed\n", what);
        std::abort();
    }
}

KeyPtr new_key() {
    KeyPtr key(EVP_EC_gen("P-256"));
    require(key != nullptr, "EVP_EC_gen");
    return key;
}

void add_ext(X509* cert, X509* issuer, int nid, std::string const& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    require(ext != nullptr, "X509V3_EXT_conf_nid");
    require(X509_add_ext(cert, ext, -1) == 1, "X509_add_ext");
    X509_EXTENSION_free(ext);
}

constexpr long kDay = 86400;

CertPtr new_cert(EVP_PKEY* key, std::string const& cn, long serial, bool expired = false) {
    CertPtr cert(X509_new());
    require(cert != nullptr, "X509_new");
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), expired ? -2 * kDay : -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), expired ? -kDay : kDay);
    require(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
    X509_NAME* name = X509_get_subject_name(cert.get());
    require(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                       reinterpret_cast<unsigned char const*>(cn.c_str()), -1, -1,
                                       0) == 1,
            "X509_NAME_add_entry_by_txt");
    return cert;
}

void write_cert(std::string const& path, X509* cert, X509* also = nullptr) {
    BioPtr const bio(BIO_new_file(path.c_str(), "w"));
    require(bio != nullptr, "BIO_new_file");
    require(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
    if (also != nullptr) {
        require(PEM_write_bio_X509(bio.get(), also) == 1, "PEM_write_bio_X509");
    }
}

void write_key(std::string const& path, EVP_PKEY* key, std::string const& passphrase = {}) {
    BioPtr const bio(BIO_new_file(path.c_str(), "w"));
    require(bio != nullptr, "BIO_new_file");
    auto* pass = reinterpret_cast<unsigned char const*>(passphrase.data());
    require(PEM_write_bio_PrivateKey(bio.get(), key,
                                     passphrase.empty() ? nullptr : EVP_aes_256_cbc(), pass,
                                     static_cast<int>(passphrase.size()), nullptr, nullptr) == 1,
            "PEM_write_bio_PrivateKey");
}

} // namespace

struct TestCa::State {
    KeyPtr key;
    CertPtr cert;
    long serial = 1;
};

TestCa::TestCa(std::string dir, std::string const& name)
    : state_(std::make_unique<State>()), dir_(std::move(dir)) {
    state_->key = new_key();
    state_->cert = new_cert(state_->key.get(), name, state_->serial++);
    X509* cert = state_->cert.get();
    require(X509_set_issuer_name(cert, X509_get_subject_name(cert)) == 1, "X509_set_issuer_name");
    add_ext(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_ext(cert, cert, NID_subject_key_identifier, "hash");
    require(X509_sign(cert, state_->key.get(), EVP_sha256()) > 0, "X509_sign");
    cert_file_ = dir_ + "/" + name + "-ca.crt";
    write_cert(cert_file_, cert);
}

TestCa::~TestCa() = default;

CertFiles TestCa::issue(std::string const& stem, LeafSpec const& spec) {
    KeyPtr const key = new_key();
    std::string const cn = spec.common_name.empty() && !spec.dns_names.empty()
                               ? spec.dns_names.front()
                               : spec.common_name;
    CertPtr const cert = new_cert(key.get(), cn, state_->serial++, spec.expired);
    X509* issuer = spec.self_signed ? cert.get() : state_->cert.get();
    EVP_PKEY* signer = spec.self_signed ? key.get() : state_->key.get();
    require(X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)) == 1,
            "X509_set_issuer_name");
    add_ext(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
    if (!spec.self_signed) {
        add_ext(cert.get(), issuer, NID_authority_key_identifier, "keyid:always");
    }
    std::string san;
    for (auto const& dns : spec.dns_names) {
        san += (san.empty() ? "DNS:" : ",DNS:") + dns;
    }
    for (auto const& ip : spec.ip_addresses) {
        san += (san.empty() ? "IP:" : ",IP:") + ip;
    }
    if (!san.empty()) {
        add_ext(cert.get(), issuer, NID_subject_alt_name, san);
    }
    require(X509_sign(cert.get(), signer, EVP_sha256()) > 0, "X509_sign");
    CertFiles files{dir_ + "/" + stem + ".crt", dir_ + "/" + stem + ".key"};
    write_cert(files.cert_file, cert.get(), spec.chain ? state_->cert.get() : nullptr);
    write_key(files.key_file, key.get());
    return files;
}

std::string TestCa::stray_key(std::string const& stem, std::string const& passphrase) {
    KeyPtr const key = new_key();
    std::string path = dir_ + "/" + stem + ".key";
    write_key(path, key.get(), passphrase);
    return path;
}

std::string common_name(X509 const* cert) {
    if (cert == nullptr) {
        return {};
    }
    std::array<char, 256> cn{};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn.data(),
                              static_cast<int>(cn.size()));
    return cn.data();
}

} // namespace smtpd::rt::testing

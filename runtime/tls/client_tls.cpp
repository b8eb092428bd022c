// make_client_context and client_tls_config (see client_tls.hpp). The context and the KeyStore
// that lent it the pki's key sit in one allocation; the shared_ptr handed out points at the
// context and owns both.
// Depends on: client_tls.hpp, pem_files.hpp, key_store.hpp, tls_error.hpp, grammar's
// conf/tls_protocols.hpp, OpenSSL.
#include "tls/client_tls.hpp"

#include "conf/tls_protocols.hpp"
#include "tls/key_store.hpp"
#include "tls/pem_files.hpp"
#include "tls/tls_error.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>
#include <utility>

namespace smtpd::rt::tls {

namespace {

/// The context and the keys it signs with, released together.
struct ClientContext {
    explicit ClientContext(SSL_CTX* ctx) : context(ctx) {}
    boost::asio::ssl::context context;
    KeyStore keys;
};

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

Result<void> use_trust_anchors(SSL_CTX* ctx, std::optional<std::string> const& ca_file) {
    if (!ca_file) {
        if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
            return failure(TlsErrc::BadCa, "system trust store: " + take_openssl_errors());
        }
        return success();
    }
    auto certs = read_certificates(*ca_file, TlsErrc::BadCa);
    if (!certs) {
        return certs.error();
    }
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    for (auto const& cert : certs.value()) {
        if (X509_STORE_add_cert(store, cert.get()) != 1) {
            return failure(TlsErrc::BadCa, *ca_file + ": " + take_openssl_errors());
        }
    }
    return success();
}

Result<void> use_pki(SSL_CTX* ctx, KeyStore& keys, PkiFiles const& pki) {
    auto leaf = use_certificate(ctx, pki);
    if (!leaf) {
        return leaf.error();
    }
    auto key = keys.load(pki.key_file, leaf.value(), pki.cert_file);
    if (!key) {
        return key.error();
    }
    return keys.attach(key.value(), ctx);
}

} // namespace

/// TLS 1.2 and 1.3 only, whatever else the list names (libtls no longer speaks TLS 1.0 or 1.1).
Result<void> use_protocols(SSL_CTX* ctx, std::optional<std::string> const& protocols) {
    std::uint32_t set = conf::kTlsProtocolsDefault;
    if (protocols) {
        auto const parsed = conf::parse_tls_protocols(*protocols);
        if (!parsed || (*parsed & conf::kTlsProtocolsAll) == 0) {
            return failure(TlsErrc::BadProtocols,
                           "protocols \"" + *protocols + "\": " +
                               (parsed ? "neither TLS 1.2 nor TLS 1.3 is left"
                                       : "not a list of TLS versions"));
        }
        set = *parsed;
    }
    int const min = (set & conf::kTlsV1_2) != 0 ? TLS1_2_VERSION : TLS1_3_VERSION;
    int const max = (set & conf::kTlsV1_3) != 0 ? TLS1_3_VERSION : TLS1_2_VERSION;
    if (SSL_CTX_set_min_proto_version(ctx, min) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, max) != 1) {
        return failure(TlsErrc::Library, "SSL_CTX_set_min_proto_version: " + take_openssl_errors());
    }
    return success();
}

Result<void> use_ciphers(SSL_CTX* ctx, std::optional<std::string> const& ciphers) {
    std::string const list = openssl_cipher_list(ciphers.value_or("secure"));
    if (SSL_CTX_set_cipher_list(ctx, list.c_str()) != 1) {
        return failure(TlsErrc::BadCiphers,
                       "ciphers \"" + ciphers.value_or("secure") + "\": " + take_openssl_errors());
    }
    return success();
}

std::string openssl_cipher_list(std::string const& ciphers) {
    // libtls's TLS_CIPHERS_* (tls_internal.h). Its default, "TLSv1.3:TLSv1.2+AEAD+ECDHE:
    // TLSv1.2+AEAD+DHE", is spelt in OpenSSL's words: OpenSSL has no AEAD alias, and sets the
    // TLS 1.3 suites (all AEAD) apart from this list.
    constexpr std::string_view kSecure = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20";
    constexpr auto kKeywords = std::to_array<std::pair<std::string_view, std::string_view>>({
        {"secure", kSecure},
        {"default", kSecure},
        {"compat", "HIGH:!aNULL"},
        {"legacy", "HIGH:MEDIUM:!aNULL"},
        {"all", "ALL:!aNULL:!eNULL"},
        {"insecure", "ALL:!aNULL:!eNULL"},
    });
    std::string const key = lowercase(ciphers);
    for (auto const& [keyword, list] : kKeywords) {
        if (key == keyword) {
            return std::string(list);
        }
    }
    return ciphers;
}

Result<std::shared_ptr<boost::asio::ssl::context>>
make_client_context(ClientTlsConfig const& config) {
    SSL_CTX* const ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == nullptr) {
        return failure(TlsErrc::Library, "SSL_CTX_new: " + take_openssl_errors());
    }
    auto holder = std::make_shared<ClientContext>(ctx); // adopts ctx
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    if (auto r = use_protocols(ctx, config.protocols); !r) {
        return r.error();
    }
    if (auto r = use_ciphers(ctx, config.ciphers); !r) {
        return r.error();
    }
    if (auto r = use_trust_anchors(ctx, config.ca_file); !r) {
        return r.error();
    }
    if (config.pki) {
        if (auto r = use_pki(ctx, holder->keys, *config.pki); !r) {
            return r.error();
        }
    }
    return std::shared_ptr<boost::asio::ssl::context>(holder, &holder->context);
}

ClientTlsConfig client_tls_config(conf::Config const& config, conf::Relay const& relay) {
    ClientTlsConfig out;
    if (relay.pki) {
        if (conf::Pki const* pki = config.find_pki(*relay.pki)) {
            out.pki = PkiFiles{pki->name, pki->cert_file.value_or(""), pki->key_file.value_or("")};
        }
    }
    if (relay.ca) {
        if (conf::Ca const* ca = config.find_ca(*relay.ca)) {
            out.ca_file = ca->cert_file;
        }
    }
    out.protocols = relay.protocols;
    out.ciphers = relay.ciphers;
    return out;
}

} // namespace smtpd::rt::tls

// ServerTls (see tls_config.hpp). One SSL_CTX per pki, configured alike; the SNI callback, on the
// first one, moves a handshake to the selected pki's context with SSL_set_SSL_CTX, which swaps
// the certificate and key (the way libtls serves several keypairs). Every context gets the same
// verification settings and ca, since the switch also switches the store a client's certificate
// is checked against.
// Depends on: tls_config.hpp, client_tls.hpp (cipher keywords), key_store.hpp, pem_files.hpp,
// tls_error.hpp, OpenSSL, Boost.Asio.
#include "tls/tls_config.hpp"

#include "tls/client_tls.hpp"
#include "tls/pem_files.hpp"
#include "tls/tls_error.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>

namespace smtpd::rt::tls {

namespace {

struct FreeSslCtx {
    void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, FreeSslCtx>;

constexpr std::array<unsigned char, 5> kSessionContext = {'s', 'm', 't', 'p', 'd'};

SslCtxPtr new_server_ctx() {
    SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
    if (!ctx) {
        return ctx;
    }
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                       SSL_OP_CIPHER_SERVER_PREFERENCE);
    // Sessions are resumed only with the context that made them (needed with client certs).
    SSL_CTX_set_session_id_context(ctx.get(), kSessionContext.data(), kSessionContext.size());
    return ctx;
}

/// Client certificate verification: required and checked against the ca (or the system store).
Result<void> use_verification(SSL_CTX* ctx, ServerTlsConfig const& config) {
    if (config.ca_file) {
        auto certs = read_certificates(*config.ca_file, TlsErrc::BadCa);
        if (!certs) {
            return certs.error();
        }
        X509_STORE* store = SSL_CTX_get_cert_store(ctx);
        for (auto const& cert : certs.value()) {
            // The names go into the CertificateRequest, so a client knows which cert to send.
            if (X509_STORE_add_cert(store, cert.get()) != 1 ||
                SSL_CTX_add_client_CA(ctx, cert.get()) != 1) {
                return failure(TlsErrc::BadCa, *config.ca_file + ": " + take_openssl_errors());
            }
        }
    } else if (config.verify && SSL_CTX_set_default_verify_paths(ctx) != 1) {
        return failure(TlsErrc::BadCa, "system trust store: " + take_openssl_errors());
    }
    if (config.verify) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
    return success();
}

/// `dhe`: none leaves DHE cipher suites out (OpenSSL has no DH parameters); auto sizes them to
/// the certificate's key (SSL_CTX_set_dh_auto); legacy takes RFC 5114's 1024-bit group, which
/// OpenSSL refuses below its security level 1 (Debian's default is 2: an error at load).
Result<void> use_dhe(SSL_CTX* ctx, conf::Pki::Dhe dhe) {
    if (dhe == conf::Pki::Dhe::Auto && SSL_CTX_set_dh_auto(ctx, 1) != 1) {
        return failure(TlsErrc::Library, "dhe auto: " + take_openssl_errors());
    }
    if (dhe != conf::Pki::Dhe::Legacy) {
        return success();
    }
    EVP_PKEY_CTX* pctx = EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr);
    EVP_PKEY* params = nullptr;
    std::array<char, 16> group{"dh_1024_160"};
    std::array<OSSL_PARAM, 2> const request{
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group.data(), 0),
        OSSL_PARAM_construct_end()};
    bool const made = pctx != nullptr && EVP_PKEY_paramgen_init(pctx) == 1 &&
                      EVP_PKEY_CTX_set_params(pctx, request.data()) == 1 &&
                      EVP_PKEY_paramgen(pctx, &params) == 1;
    EVP_PKEY_CTX_free(pctx);
    if (!made || SSL_CTX_set0_tmp_dh_pkey(ctx, params) != 1) {
        EVP_PKEY_free(params); // set0 took it only on success
        return failure(TlsErrc::Library, "dhe legacy (1024-bit): " + take_openssl_errors());
    }
    return success();
}

/// listen ... protocols / ciphers; without them TLS 1.2+ and OpenSSL's default ciphers.
Result<void> use_versions(SSL_CTX* ctx, ServerTlsConfig const& config) {
    if (config.protocols) {
        if (auto r = use_protocols(ctx, config.protocols); !r) {
            return r;
        }
    }
    if (config.ciphers) {
        return use_ciphers(ctx, config.ciphers);
    }
    return success();
}

} // namespace

struct ServerTls::Pki {
    std::string name;
    SslCtxPtr owned_ctx; ///< empty for pki 0, whose context context_ owns
    SSL_CTX* ctx = nullptr;
    X509* cert = nullptr; ///< the leaf, owned by ctx
};

ServerTls::ServerTls(SSL_CTX* default_ctx) : context_(default_ctx) {}

ServerTls::~ServerTls() = default;

std::string const& ServerTls::pki_name(std::size_t index) const {
    return pkis_.at(index).name;
}

Result<std::shared_ptr<ServerTls>> ServerTls::create(ServerTlsConfig const& config) {
    if (config.pkis.empty()) {
        return failure(TlsErrc::NoPki, "TLS needs at least one pki");
    }
    std::vector<SslCtxPtr> contexts;
    for (std::size_t i = 0; i < config.pkis.size(); ++i) {
        contexts.push_back(new_server_ctx());
        if (!contexts.back()) {
            return failure(TlsErrc::Library, "SSL_CTX_new: " + take_openssl_errors());
        }
    }
    // asio::ssl::context adopts the first context; it throws only for a null handle.
    std::shared_ptr<ServerTls> tls(new ServerTls(contexts.front().release()));
    for (std::size_t i = 0; i < config.pkis.size(); ++i) {
        PkiFiles const& files = config.pkis[i];
        Pki pki{files.name, std::move(contexts[i]), nullptr, nullptr};
        pki.ctx = i == 0 ? tls->context_.native_handle() : pki.owned_ctx.get();
        auto leaf = use_certificate(pki.ctx, files);
        if (!leaf) {
            return leaf.error();
        }
        pki.cert = leaf.value();
        auto key = tls->keys_.load(files.key_file, pki.cert, files.cert_file);
        if (!key) {
            return key.error();
        }
        if (auto attached = tls->keys_.attach(key.value(), pki.ctx); !attached) {
            return attached.error();
        }
        if (auto dhe = use_dhe(pki.ctx, files.dhe); !dhe) {
            return dhe.error();
        }
        if (auto verification = use_verification(pki.ctx, config); !verification) {
            return verification.error();
        }
        if (auto versions = use_versions(pki.ctx, config); !versions) {
            return versions.error();
        }
        tls->pkis_.push_back(std::move(pki));
    }
    SSL_CTX* first = tls->context_.native_handle();
    SSL_CTX_set_tlsext_servername_callback(first, &ServerTls::on_server_name);
    SSL_CTX_set_tlsext_servername_arg(first, tls.get());
    return tls;
}

std::size_t ServerTls::select(std::string_view server_name) const {
    for (std::size_t i = 0; i < pkis_.size(); ++i) {
        if (X509_check_host(pkis_[i].cert, server_name.data(), server_name.size(),
                            X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, nullptr) == 1) {
            return i;
        }
    }
    return 0;
}

int ServerTls::on_server_name(SSL* ssl, int* /*alert*/, void* arg) {
    auto const* self = static_cast<ServerTls const*>(arg);
    char const* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (name == nullptr) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    std::size_t const index = self->select(name);
    if (index != 0 && SSL_set_SSL_CTX(ssl, self->pkis_[index].ctx) == nullptr) {
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    return SSL_TLSEXT_ERR_OK;
}

ServerTlsConfig server_tls_config(conf::Config const& config, conf::Listen const& listen) {
    ServerTlsConfig out;
    for (auto const& name : listen.pkis) {
        if (conf::Pki const* pki = config.find_pki(name)) {
            out.pkis.push_back(PkiFiles{pki->name, pki->cert_file.value_or(""),
                                        pki->key_file.value_or(""), pki->dhe});
        }
    }
    if (listen.ca) {
        if (conf::Ca const* ca = config.find_ca(*listen.ca)) {
            out.ca_file = ca->cert_file;
        }
    }
    out.verify = listen.verify;
    out.protocols = listen.tls_protocols;
    out.ciphers = listen.tls_ciphers ? listen.tls_ciphers : config.smtp_ciphers;
    return out;
}

std::vector<conf::ConfError> check_pkis(conf::Config const& config) {
    std::vector<conf::ConfError> errors;
    for (conf::Pki const& pki : config.pkis) {
        ServerTlsConfig one;
        one.pkis.push_back(
            PkiFiles{pki.name, pki.cert_file.value_or(""), pki.key_file.value_or(""), pki.dhe});
        if (auto loaded = ServerTls::create(one); !loaded) {
            errors.push_back(
                conf::ConfError{pki.where, "pki \"" + pki.name + "\": " + loaded.error().what()});
        }
    }
    for (conf::Ca const& ca : config.cas) {
        if (auto read = read_certificates(ca.cert_file, TlsErrc::BadCa); !read) {
            errors.push_back(
                conf::ConfError{ca.where, "ca \"" + ca.name + "\": " + read.error().what()});
        }
    }
    return errors;
}

} // namespace smtpd::rt::tls

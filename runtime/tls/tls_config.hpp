// The server side of TLS for one listener: an Asio SSL context built from the listener's pkis
// (smtpd.conf's `pki`, `ca`, `tls`/`tls-require`/`smtps` [`verify`]). TLS 1.2 at least, no
// compression, no renegotiation, the server's cipher preference; the first pki's certificate by
// default, and by SNI (RFC 6066 §3) the first pki whose certificate names the requested host
// (subjectAltName DNS names, else the CN; a "*." wildcard stands for one label), as OpenSMTPD's
// libtls does. With verify, a client certificate is required and must chain to the ca (or to the
// system's trust store without one). The listener's `protocols` and `ciphers` are read as the
// relay's are (tls/client_tls.hpp); `smtp ciphers` is the cipher list of the listeners without
// their own. Private keys stay inside KeyStore.
// Depends on: common/result.hpp, tls/key_store.hpp, grammar's conf/ast.hpp, Boost.Asio SSL.
#pragma once

#include "common/result.hpp"
#include "conf/ast.hpp"
#include "conf/conf.hpp"
#include "tls/key_store.hpp"

#include <utility> // before Asio (Boost 1.74 under -std=c++20)

#include <boost/asio/ssl/context.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::rt::tls {

/// One pki's files, and its DHE setting (smtpd.conf `pki NAME dhe`).
struct PkiFiles {
    std::string name;
    std::string cert_file; ///< PEM: the certificate, then the chain
    std::string key_file;  ///< PEM: its private key, unencrypted
    conf::Pki::Dhe dhe = conf::Pki::Dhe::None;
};

/// What a server context is built from.
struct ServerTlsConfig {
    std::vector<PkiFiles> pkis;             ///< at least one; the first is the default certificate
    std::optional<std::string> ca_file;     ///< PEM: the issuers trusted for client certificates
    bool verify = false;                    ///< require a client certificate that verifies
    std::optional<std::string> protocols{}; ///< listen ... protocols: the TLS versions offered
    /// listen ... ciphers, else smtp ciphers (libtls's keywords read as client_tls.hpp's
    /// openssl_cipher_list); OpenSSL's default without either.
    std::optional<std::string> ciphers{};
};

/// The listener's pkis and ca from a parsed configuration (which has checked they exist).
[[nodiscard]] ServerTlsConfig server_tls_config(conf::Config const& config,
                                                conf::Listen const& listen);

/// Every pki's certificate and key, and every ca's certificates, loaded as a listener would load
/// them, so that a file missing or unusable is a configuration error at its declaration (as
/// OpenSMTPD loads its pki tree with the configuration), not a failure once running.
[[nodiscard]] std::vector<conf::ConfError> check_pkis(conf::Config const& config);

/// A server TLS context. Not movable: OpenSSL's SNI callback points at it. Share it between the
/// connections of a listener; each makes `ssl::stream<tcp::socket>(socket, context())`.
class ServerTls {
  public:
    /// Loads every certificate, chain, key and the ca; errors name the file.
    [[nodiscard]] static Result<std::shared_ptr<ServerTls>> create(ServerTlsConfig const& config);

    ServerTls(ServerTls const&) = delete;
    ServerTls& operator=(ServerTls const&) = delete;
    ~ServerTls();

    /// The context to make server streams with (it holds the default certificate).
    [[nodiscard]] boost::asio::ssl::context& context() { return context_; }

    /// The index, in ServerTlsConfig::pkis, of the certificate served for an SNI host name: the
    /// first whose certificate names it, else 0.
    [[nodiscard]] std::size_t select(std::string_view server_name) const;

    /// The name of pki `index`, for logs.
    [[nodiscard]] std::string const& pki_name(std::size_t index) const;

  private:
    struct Pki;
    explicit ServerTls(SSL_CTX* default_ctx);
    static int on_server_name(SSL* ssl, int* alert, void* arg);

    boost::asio::ssl::context context_; ///< owns the SSL_CTX of pkis_[0]
    std::vector<Pki> pkis_;
    KeyStore keys_;
};

} // namespace smtpd::rt::tls

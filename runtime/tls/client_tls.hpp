// The client side of TLS for the relay: the context outbound connections handshake with
// (SmtpStream::client_handshake), from the options of `action NAME relay` (smtpd.conf(5): pki,
// ca, protocols, ciphers). TLS 1.2 at least, no compression, no renegotiation; protocols and
// ciphers read as libtls reads them (tls_config_parse_protocols(3), tls_config_set_ciphers(3));
// trust anchors from the ca, else the system's store; the pki's certificate presented to servers
// that ask for one, its key held by a KeyStore that lives as long as the context.
// Depends on: common/result.hpp, tls/tls_config.hpp, tls/key_store.hpp, grammar's conf/, Asio SSL.
#pragma once

#include "common/result.hpp"
#include "conf/ast.hpp"
#include "tls/tls_config.hpp"

#include <utility> // before Asio (Boost 1.74 under -std=c++20)

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <optional>
#include <string>

namespace smtpd::rt::tls {

/// What a client context is built from.
struct ClientTlsConfig {
    std::optional<std::string> ca_file;   ///< PEM: the trust anchors; the system's when absent
    std::optional<PkiFiles> pki;          ///< the client certificate and key
    std::optional<std::string> protocols; ///< tls_config_parse_protocols(3); TLS 1.2 and 1.3
    std::optional<std::string> ciphers;   ///< tls_config_set_ciphers(3); "secure" when absent
};

/// The relay's pki, ca, protocols and ciphers from a parsed configuration (which has checked
/// that the pki and ca exist and that protocols parses).
[[nodiscard]] ClientTlsConfig client_tls_config(conf::Config const& config,
                                                conf::Relay const& relay);

/// The OpenSSL cipher list (TLS 1.2 and below) that libtls uses for `ciphers`: its keywords
/// "secure"/"default", "compat", "legacy", "all"/"insecure" mapped, anything else as is.
[[nodiscard]] std::string openssl_cipher_list(std::string const& ciphers);

/// `protocols` (tls_config_parse_protocols(3)) on a context, client or server: TLS 1.2 and 1.3
/// only, whatever else the list names; both without one.
[[nodiscard]] Result<void> use_protocols(SSL_CTX* ctx, std::optional<std::string> const& protocols);

/// `ciphers` (tls_config_set_ciphers(3)) on a context, client or server; "secure" without one.
[[nodiscard]] Result<void> use_ciphers(SSL_CTX* ctx, std::optional<std::string> const& ciphers);

/// A client context: loads the ca (or the system store), the pki's certificate, chain and key,
/// and applies protocols and ciphers. Errors name the file or the option. Verification is set
/// per connection by SmtpStream::client_handshake; share the context between connections.
[[nodiscard]] Result<std::shared_ptr<boost::asio::ssl::context>>
make_client_context(ClientTlsConfig const& config);

} // namespace smtpd::rt::tls

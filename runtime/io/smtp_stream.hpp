// The bytes of one SMTP connection: a TCP socket, which can become TLS in place (STARTTLS, RFC
// 3207) or from the first byte (smtps), as the server or as the client (the relay). Reads time out
// (RFC 5321 §4.5.3.2); a timed-out or failed read returns 0 and says which. The client side sends
// SNI (RFC 6066 §3) and checks the server's identity (RFC 6125) when asked to.
// Depends on: Boost.Asio (with its SSL stream), OpenSSL.
#pragma once

// <utility> before Asio: Boost 1.74's Asio needs it under C++20.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace smtpd::rt {

class SmtpStream {
  public:
    explicit SmtpStream(boost::asio::ip::tcp::socket socket);

    /// Reads what is there (at least one octet), or 0 at the end, on an error or a timeout.
    boost::asio::awaitable<std::size_t> read_some(std::span<char> buffer,
                                                  std::chrono::seconds timeout);
    /// Writes all of `bytes`; false on an error.
    boost::asio::awaitable<bool> write(std::string_view bytes);
    /// Runs the server side of a TLS handshake on the connection; false when it fails or times
    /// out, and the connection must then be closed.
    boost::asio::awaitable<bool> handshake(boost::asio::ssl::context& context,
                                           std::chrono::seconds timeout);
    /// Runs the client side of a TLS handshake: after STARTTLS's 220, or right after connecting
    /// for smtps. `server_name` is the host the connection was made to (an MX or smarthost name,
    /// or an address, perhaps as a bracketed literal): a DNS name is sent as SNI, an address is
    /// not (RFC 6066 §3); the certificate must name it (subjectAltName DNS entries, else the CN;
    /// "*." matches one whole label; an address must be an IP entry); empty: no name is checked.
    /// With `verify`, a certificate that does not chain to the context's trust anchors, has
    /// expired or does not name the server fails the handshake; without, the handshake succeeds
    /// whatever the certificate. Either way the outcome is kept for verify_result(). False when
    /// the handshake fails or times out; the connection must then be closed. `context` must
    /// outlive the stream.
    boost::asio::awaitable<bool> client_handshake(boost::asio::ssl::context& context,
                                                  std::string server_name, bool verify,
                                                  std::chrono::seconds timeout);
    /// Shuts TLS (if any) and the socket down.
    boost::asio::awaitable<void> close();

    [[nodiscard]] bool timed_out() const { return timed_out_; }
    [[nodiscard]] bool tls() const { return tls_ != nullptr; }
    /// "TLSv1.3:TLS_AES_256_GCM_SHA384:256", as OpenSMTPD writes it in Received, or "".
    [[nodiscard]] std::string tls_info() const;
    /// After client_handshake: "verified" when the certificate chains to a trust anchor, is
    /// current and names the server; else OpenSSL's reason ("certificate has expired",
    /// "hostname mismatch", "self-signed certificate", "unable to get local issuer certificate",
    /// ...), or "no certificate presented". "" before any TLS.
    [[nodiscard]] std::string verify_result() const;
    /// The peer's certificate as libtls's tls_peer_cert_hash(3) writes it, "SHA256:" and the
    /// lowercase hex digest of its DER form (OpenSMTPD's `fingerprint=`), or "" without one.
    [[nodiscard]] std::string peer_certificate_hash() const;
    /// The underlying socket (for its endpoints).
    [[nodiscard]] boost::asio::ip::tcp::socket& socket() { return socket_; }

  private:
    void arm(std::chrono::seconds timeout);
    boost::asio::awaitable<bool> run_handshake(boost::asio::ssl::stream_base::handshake_type type,
                                               std::chrono::seconds timeout);

    boost::asio::ip::tcp::socket socket_;
    boost::asio::steady_timer timer_;
    std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
    bool timed_out_ = false;
};

} // namespace smtpd::rt

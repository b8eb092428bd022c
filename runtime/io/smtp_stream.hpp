// The bytes of one SMTP connection: a TCP socket, which can become TLS in place (STARTTLS, RFC
// 3207) or from the first byte (smtps). Reads time out (RFC 5321 §4.5.3.2); a timed-out or failed
// read returns 0 and says which. Depends on: Boost.Asio (with its SSL stream), OpenSSL.
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
    /// Shuts TLS (if any) and the socket down.
    boost::asio::awaitable<void> close();

    [[nodiscard]] bool timed_out() const { return timed_out_; }
    [[nodiscard]] bool tls() const { return tls_ != nullptr; }
    /// "TLSv1.3:TLS_AES_256_GCM_SHA384:256", as OpenSMTPD writes it in Received, or "".
    [[nodiscard]] std::string tls_info() const;
    /// The underlying socket (for its endpoints).
    [[nodiscard]] boost::asio::ip::tcp::socket& socket() { return socket_; }

  private:
    void arm(std::chrono::seconds timeout);

    boost::asio::ip::tcp::socket socket_;
    boost::asio::steady_timer timer_;
    std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
    bool timed_out_ = false;
};

} // namespace smtpd::rt

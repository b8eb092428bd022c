// SmtpStream: plain or TLS reads and writes over one socket, with the read timer. A timer that
// fires cancels the socket, which ends the pending read or handshake with an error.
#include "io/smtp_stream.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <fmt/format.h>

namespace smtpd::rt {

namespace asio = boost::asio;
using asio::ip::tcp;

SmtpStream::SmtpStream(tcp::socket socket)
    : socket_(std::move(socket)), timer_(socket_.get_executor()) {}

void SmtpStream::arm(std::chrono::seconds timeout) {
    timed_out_ = false;
    timer_.expires_after(timeout);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) {
            timed_out_ = true;
            boost::system::error_code ignored;
            socket_.cancel(ignored);
        }
    });
}

asio::awaitable<std::size_t> SmtpStream::read_some(std::span<char> buffer,
                                                   std::chrono::seconds timeout) {
    arm(timeout);
    boost::system::error_code ec;
    auto const into = asio::buffer(buffer.data(), buffer.size());
    // Boost 1.74: the completion token must be an rvalue, made at each call.
    std::size_t const n =
        tls_
            ? co_await tls_->async_read_some(into, asio::redirect_error(asio::use_awaitable, ec))
            : co_await socket_.async_read_some(into, asio::redirect_error(asio::use_awaitable, ec));
    timer_.cancel();
    co_return ec ? 0 : n;
}

asio::awaitable<bool> SmtpStream::write(std::string_view bytes) {
    boost::system::error_code ec;
    auto const from = asio::buffer(bytes.data(), bytes.size());
    if (tls_) {
        co_await asio::async_write(*tls_, from, asio::redirect_error(asio::use_awaitable, ec));
    } else {
        co_await asio::async_write(socket_, from, asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return !ec;
}

asio::awaitable<bool> SmtpStream::handshake(asio::ssl::context& context,
                                            std::chrono::seconds timeout) {
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, context);
    arm(timeout);
    boost::system::error_code ec;
    co_await tls_->async_handshake(asio::ssl::stream_base::server,
                                   asio::redirect_error(asio::use_awaitable, ec));
    timer_.cancel();
    co_return !ec;
}

asio::awaitable<void> SmtpStream::close() {
    boost::system::error_code ec;
    if (tls_ && !timed_out_) {
        arm(std::chrono::seconds(5)); // a peer that never answers close_notify
        co_await tls_->async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
        timer_.cancel();
    }
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
}

std::string SmtpStream::tls_info() const {
    if (!tls_) {
        return {};
    }
    SSL* const ssl = tls_->native_handle();
    SSL_CIPHER const* const cipher = SSL_get_current_cipher(ssl);
    return fmt::format("{}:{}:{}", SSL_get_version(ssl),
                       cipher != nullptr ? SSL_CIPHER_get_name(cipher) : "none",
                       cipher != nullptr ? SSL_CIPHER_get_bits(cipher, nullptr) : 0);
}

} // namespace smtpd::rt

// SmtpStream: plain or TLS reads and writes over one socket, with the read timer. A timer that
// fires cancels the socket, which ends the pending read or handshake with an error. The client
// handshake sets SNI and the expected identity on its SSL before starting; OpenSSL checks chain,
// dates and name in one verification whose outcome it keeps, whatever the verify mode.
#include "io/smtp_stream.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <array>
#include <strings.h>

namespace smtpd::rt {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

/// The host of `name`: an address literal without its brackets and "IPv6:" tag, a DNS name
/// without a final dot (RFC 6066 §3: SNI carries no trailing dot).
std::string bare_host(std::string name) {
    if (name.size() >= 2 && name.front() == '[' && name.back() == ']') {
        name = name.substr(1, name.size() - 2);
        constexpr std::string_view kTag = "IPv6:";
        if (name.size() > kTag.size() &&
            ::strncasecmp(name.c_str(), kTag.data(), kTag.size()) == 0) {
            name.erase(0, kTag.size());
        }
    }
    if (!name.empty() && name.back() == '.') {
        name.pop_back();
    }
    return name;
}

bool is_address(std::string const& host) {
    boost::system::error_code ec;
    (void)asio::ip::make_address(host, ec);
    return !ec;
}

/// SNI for a DNS name only (RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted"),
/// and the identity the verification checks: the address, or the name with whole-label
/// wildcards only. False when OpenSSL refuses the name (too long, not an address).
bool set_identity(SSL* ssl, std::string const& host) {
    if (host.empty()) {
        return true;
    }
    if (is_address(host)) {
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1;
    }
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 &&
           SSL_set1_host(ssl, host.c_str()) == 1;
}

} // namespace

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

asio::awaitable<bool> SmtpStream::run_handshake(asio::ssl::stream_base::handshake_type type,
                                                std::chrono::seconds timeout) {
    arm(timeout);
    boost::system::error_code ec;
    co_await tls_->async_handshake(type, asio::redirect_error(asio::use_awaitable, ec));
    timer_.cancel();
    co_return !ec;
}

asio::awaitable<bool> SmtpStream::handshake(asio::ssl::context& context,
                                            std::chrono::seconds timeout) {
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, context);
    auto running = run_handshake(asio::ssl::stream_base::server, timeout);
    co_return co_await std::move(running);
}

asio::awaitable<bool> SmtpStream::client_handshake(asio::ssl::context& context,
                                                   std::string server_name, bool verify,
                                                   std::chrono::seconds timeout) {
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, context);
    SSL* const ssl = tls_->native_handle();
    if (!set_identity(ssl, bare_host(std::move(server_name)))) {
        ERR_clear_error();
        tls_.reset(); // no handshake began: nothing to shut down
        co_return false;
    }
    // Without verify, OpenSSL still verifies and keeps the outcome (SSL_get_verify_result), but
    // goes on whatever it is.
    SSL_set_verify(ssl, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    auto running = run_handshake(asio::ssl::stream_base::client, timeout);
    co_return co_await std::move(running);
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

std::string SmtpStream::verify_result() const {
    if (!tls_) {
        return {};
    }
    SSL const* const ssl = tls_->native_handle();
    long const result = SSL_get_verify_result(ssl);
    if (result != X509_V_OK) {
        return X509_verify_cert_error_string(result);
    }
    return SSL_get0_peer_certificate(ssl) != nullptr ? "verified" : "no certificate presented";
}

std::string SmtpStream::peer_certificate_hash() const {
    X509* const peer = tls_ ? SSL_get0_peer_certificate(tls_->native_handle()) : nullptr;
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (peer == nullptr || X509_digest(peer, EVP_sha256(), digest.data(), &size) != 1) {
        return {};
    }
    std::string out = "SHA256:";
    for (unsigned int i = 0; i < size; ++i) {
        out += fmt::format("{:02x}", digest.at(i));
    }
    return out;
}

} // namespace smtpd::rt

// The client side of TLS in real handshakes over loopback: SmtpStream::client_handshake with a
// context from make_client_context, against an Asio ssl::stream server in the same io_context
// serving a valid, an expired, a wrong-name and a self-signed certificate (made at run time,
// test_certs.hpp). Checks verification with and without `verify`, the reasons reported, SNI, the
// pki's client certificate, protocols and ciphers, STARTTLS and the context's errors.
// Depends on: runtime/io/smtp_stream.hpp, runtime/tls/client_tls.hpp, grammar's conf.hpp,
// test_certs.hpp, temp_dir.hpp, OpenSSL, Boost.Asio.
#include "conf/conf.hpp"
#include "io/smtp_stream.hpp"
#include "temp_dir.hpp"
#include "test_certs.hpp"
#include "tls/client_tls.hpp"
#include "tls/tls_error.hpp"

#include <utility> // before Asio (Boost 1.74 under -std=c++20)

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace smtpd::rt::tls {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using testing::CertFiles;
using testing::common_name;
using testing::LeafSpec;
using testing::TempDir;
using testing::TestCa;
using namespace std::chrono_literals;

constexpr auto kHandshakeTimeout = 5s;
constexpr auto kTestBound = 20s;

/// The peer under test: what it serves and asks for.
struct Server {
    CertFiles cert;
    int max_version = 0;                  ///< e.g. TLS1_2_VERSION; 0: OpenSSL's maximum
    std::optional<std::string> client_ca; ///< ask for a client certificate (any is accepted)
};

struct ServerSaw {
    bool handshake_ok = false;
    std::string sni;
    std::string client_cn;
    std::string received; ///< what the client wrote after the handshake
};

struct ClientSaw {
    bool done = false;
    bool ok = false;
    std::string verify_result;
    std::string tls_info;
    std::string hash;
};

struct Outcome {
    ServerSaw server;
    ClientSaw client;
};

struct Dial {
    std::string name; ///< the server_name handed to client_handshake
    bool verify = true;
    bool starttls = false; ///< a plain 220 and STARTTLS exchange first
};

asio::awaitable<void> serve(tcp::acceptor& acceptor, asio::ssl::context& ctx, bool starttls,
                            ServerSaw& saw) {
    boost::system::error_code ec;
    auto accepting = acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    tcp::socket socket = co_await std::move(accepting);
    if (ec) {
        co_return;
    }
    asio::ssl::stream<tcp::socket> stream(std::move(socket), ctx);
    if (starttls) {
        co_await asio::async_write(stream.next_layer(), asio::buffer("220 ready\r\n", 11),
                                   asio::redirect_error(asio::use_awaitable, ec));
        asio::streambuf line;
        co_await asio::async_read_until(stream.next_layer(), line, "\r\n",
                                        asio::redirect_error(asio::use_awaitable, ec));
        co_await asio::async_write(stream.next_layer(), asio::buffer("220 go ahead\r\n", 14),
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            co_return;
        }
    }
    co_await stream.async_handshake(asio::ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        co_return;
    }
    saw.handshake_ok = true;
    SSL* ssl = stream.native_handle();
    char const* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    saw.sni = sni != nullptr ? sni : "";
    saw.client_cn = common_name(SSL_get0_peer_certificate(ssl));
    std::array<char, 128> buffer{};
    std::size_t const n = co_await stream.async_read_some(
        asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    saw.received.assign(buffer.data(), n);
}

asio::awaitable<void> dial(tcp::socket socket, tcp::endpoint server, asio::ssl::context& ctx,
                           Dial how, ClientSaw& saw) {
    boost::system::error_code ec;
    co_await socket.async_connect(server, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        saw.done = true;
        co_return;
    }
    SmtpStream stream(std::move(socket));
    std::array<char, 64> buffer{};
    if (how.starttls) {
        std::size_t const greeting = co_await stream.read_some(buffer, kHandshakeTimeout);
        EXPECT_EQ(std::string(buffer.data(), greeting), "220 ready\r\n");
        co_await stream.write("STARTTLS\r\n");
        std::size_t const go = co_await stream.read_some(buffer, kHandshakeTimeout);
        EXPECT_EQ(std::string(buffer.data(), go), "220 go ahead\r\n");
        EXPECT_FALSE(stream.tls());
    }
    auto handshake = stream.client_handshake(ctx, how.name, how.verify, kHandshakeTimeout);
    saw.ok = co_await std::move(handshake);
    saw.verify_result = stream.verify_result();
    saw.tls_info = stream.tls_info();
    saw.hash = stream.peer_certificate_hash();
    if (saw.ok) {
        co_await stream.write("EHLO relay.example\r\n");
    }
    co_await stream.close();
    saw.done = true;
}

/// One connection from a client context to a server as `server` describes, within bounds.
Outcome connect(asio::ssl::context& client_ctx, Server const& server, Dial const& how) {
    asio::ssl::context server_ctx(asio::ssl::context::tls_server);
    server_ctx.use_certificate_chain_file(server.cert.cert_file);
    server_ctx.use_private_key_file(server.cert.key_file, asio::ssl::context::pem);
    SSL_CTX* sctx = server_ctx.native_handle();
    if (server.max_version != 0) {
        SSL_CTX_set_max_proto_version(sctx, server.max_version);
    }
    if (server.client_ca) {
        SSL_CTX_set_client_CA_list(sctx, SSL_load_client_CA_file(server.client_ca->c_str()));
        SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER,
                           [](int /*ok*/, X509_STORE_CTX* /*store*/) { return 1; });
    }
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    Outcome out;
    asio::co_spawn(io, serve(acceptor, server_ctx, how.starttls, out.server), asio::detached);
    asio::co_spawn(io,
                   dial(tcp::socket(io), acceptor.local_endpoint(), client_ctx, how, out.client),
                   asio::detached);
    io.run_for(kTestBound);
    EXPECT_TRUE(out.client.done) << "the client did not finish within the bound";
    return out;
}

class ClientTls : public ::testing::Test {
  public: // the certificates are named by member pointers in the tables below
    TempDir dir_;
    TestCa ca_{dir_.path(), "mx"};
    CertFiles valid_ = ca_.issue("valid", LeafSpec{{"mx1.mx.example"}, {}, {}});
    CertFiles expired_ = ca_.issue("expired", LeafSpec{{"mx1.mx.example"}, {}, {}, true});
    CertFiles wrong_name_ = ca_.issue("wrong", LeafSpec{{"other.example"}, {}, {}});
    CertFiles self_signed_ = ca_.issue("self", LeafSpec{{"mx1.mx.example"}, {}, {}, false, true});

  protected:
    std::shared_ptr<asio::ssl::context> context(ClientTlsConfig const& config) {
        auto ctx = make_client_context(config);
        EXPECT_TRUE(ctx.has_value()) << (ctx ? "" : ctx.error().message);
        return ctx ? ctx.value() : nullptr;
    }
    std::shared_ptr<asio::ssl::context> trusting_ca() {
        ClientTlsConfig config;
        config.ca_file = ca_.cert_file();
        return context(config);
    }
};

struct Case {
    char const* what;
    CertFiles ClientTls::*cert;
    char const* reason;
};

constexpr std::array kCases = {
    Case{"valid", &ClientTls::valid_, "verified"},
    Case{"expired", &ClientTls::expired_, "certificate has expired"},
    Case{"wrong name", &ClientTls::wrong_name_, "hostname mismatch"},
    Case{"self-signed", &ClientTls::self_signed_, "self-signed certificate"},
};

TEST_F(ClientTls, VerifyAcceptsOnlyATrustedCurrentCertificateForTheName) {
    auto const ctx = trusting_ca();
    ASSERT_TRUE(ctx);
    for (Case const& c : kCases) {
        Outcome const o = connect(*ctx, Server{this->*c.cert, 0, {}}, Dial{"mx1.mx.example"});
        bool const valid = c.cert == &ClientTls::valid_;
        EXPECT_EQ(o.client.ok, valid) << c.what;
        EXPECT_EQ(o.server.handshake_ok, valid) << c.what;
        EXPECT_EQ(o.client.verify_result, c.reason) << c.what;
        EXPECT_EQ(o.server.received, valid ? "EHLO relay.example\r\n" : "") << c.what;
    }
}

TEST_F(ClientTls, WithoutVerifyEveryCertificateIsAcceptedAndItsFlawNamed) {
    auto const ctx = trusting_ca();
    ASSERT_TRUE(ctx);
    for (Case const& c : kCases) {
        Outcome const o =
            connect(*ctx, Server{this->*c.cert, 0, {}}, Dial{"mx1.mx.example", false});
        EXPECT_TRUE(o.client.ok) << c.what;
        EXPECT_EQ(o.client.verify_result, c.reason) << c.what;
        EXPECT_EQ(o.server.received, "EHLO relay.example\r\n") << c.what;
        EXPECT_EQ(o.client.tls_info.rfind("TLSv1.3:", 0), 0U) << o.client.tls_info;
    }
}

TEST_F(ClientTls, TheNameAskedForIsTheNameChecked) {
    auto const ctx = trusting_ca();
    ASSERT_TRUE(ctx);
    Outcome const other = connect(*ctx, Server{valid_, 0, {}}, Dial{"mx2.mx.example"});
    EXPECT_FALSE(other.client.ok);
    EXPECT_EQ(other.client.verify_result, "hostname mismatch");
    // A final dot (as DNS answers carry it) and letter case do not matter.
    Outcome const dotted = connect(*ctx, Server{valid_, 0, {}}, Dial{"MX1.mx.example."});
    EXPECT_TRUE(dotted.client.ok) << dotted.client.verify_result;
    EXPECT_EQ(dotted.client.verify_result, "verified");
}

TEST_F(ClientTls, ANameOpenSslCannotSendFailsBeforeTheHandshake) {
    auto const ctx = trusting_ca();
    ASSERT_TRUE(ctx);
    std::string const too_long(300, 'a'); // SNI carries at most 255 octets
    Outcome const o = connect(*ctx, Server{valid_, 0, {}}, Dial{too_long, false});
    EXPECT_FALSE(o.client.ok);
    EXPECT_FALSE(o.server.handshake_ok);
    EXPECT_EQ(o.client.verify_result, ""); // no TLS at all
}

TEST_F(ClientTls, WithoutTheCaTheSystemStoreDoesNotTrustTheTestCa) {
    auto const ctx = context(ClientTlsConfig{});
    ASSERT_TRUE(ctx);
    Outcome const verified = connect(*ctx, Server{valid_, 0, {}}, Dial{"mx1.mx.example"});
    EXPECT_FALSE(verified.client.ok);
    EXPECT_EQ(verified.client.verify_result, "unable to get local issuer certificate");
    Outcome const opportunistic =
        connect(*ctx, Server{valid_, 0, {}}, Dial{"mx1.mx.example", false});
    EXPECT_TRUE(opportunistic.client.ok);
    EXPECT_EQ(opportunistic.client.verify_result, "unable to get local issuer certificate");
}

TEST_F(ClientTls, SniCarriesTheHostNameButNeverAnAddress) {
    auto const ctx = trusting_ca();
    ASSERT_TRUE(ctx);
    Outcome const named = connect(*ctx, Server{valid_, 0, {}}, Dial{"mx1.mx.example."});
    EXPECT_TRUE(named.server.handshake_ok);
    EXPECT_EQ(named.server.sni, "mx1.mx.example");
    CertFiles const by_address =
        ca_.issue("address", LeafSpec{{}, "127.0.0.1", {}, false, false, {"127.0.0.1"}});
    for (char const* literal : {"127.0.0.1", "[127.0.0.1]"}) {
        Outcome const o = connect(*ctx, Server{by_address, 0, {}}, Dial{literal});
        EXPECT_TRUE(o.client.ok) << literal << ": " << o.client.verify_result;
        EXPECT_EQ(o.client.verify_result, "verified") << literal;
        EXPECT_TRUE(o.server.handshake_ok) << literal;
        EXPECT_EQ(o.server.sni, "") << literal;
    }
    // An address is checked against the certificate's IP entries, not its DNS names.
    Outcome const dns_only = connect(*ctx, Server{valid_, 0, {}}, Dial{"127.0.0.1"});
    EXPECT_FALSE(dns_only.client.ok);
    EXPECT_EQ(dns_only.client.verify_result, "IP address mismatch");
    EXPECT_EQ(dns_only.server.sni, "");
}

TEST_F(ClientTls, ThePkiCertificateIsPresentedWhenTheServerAsks) {
    TestCa clients(dir_.path(), "clients");
    CertFiles const relay = clients.issue("relay", LeafSpec{{}, "relay.example", {}});
    ClientTlsConfig config;
    config.ca_file = ca_.cert_file();
    config.pki = PkiFiles{"relay", relay.cert_file, relay.key_file};
    auto const with_pki = context(config);
    ASSERT_TRUE(with_pki);
    Server const asking{valid_, 0, clients.cert_file()};
    Outcome const o = connect(*with_pki, asking, Dial{"mx1.mx.example"});
    EXPECT_TRUE(o.client.ok) << o.client.verify_result;
    EXPECT_TRUE(o.server.handshake_ok);
    EXPECT_EQ(o.server.client_cn, "relay.example");
    auto const without = trusting_ca();
    ASSERT_TRUE(without);
    Outcome const anonymous = connect(*without, asking, Dial{"mx1.mx.example"});
    EXPECT_TRUE(anonymous.server.handshake_ok);
    EXPECT_EQ(anonymous.server.client_cn, "");
}

TEST_F(ClientTls, ProtocolsLimitTheVersionsOffered) {
    ClientTlsConfig config;
    config.ca_file = ca_.cert_file();
    Server const tls12_only{valid_, TLS1_2_VERSION, {}};
    auto const by_default = context(config);
    ASSERT_TRUE(by_default);
    Outcome const default_ok = connect(*by_default, tls12_only, Dial{"mx1.mx.example"});
    EXPECT_TRUE(default_ok.client.ok);
    EXPECT_EQ(default_ok.client.tls_info.rfind("TLSv1.2:", 0), 0U) << default_ok.client.tls_info;
    config.protocols = "tlsv1.3";
    auto const tls13 = context(config);
    ASSERT_TRUE(tls13);
    Outcome const refused = connect(*tls13, tls12_only, Dial{"mx1.mx.example", false});
    EXPECT_FALSE(refused.client.ok);
    EXPECT_FALSE(refused.server.handshake_ok);
    config.protocols = "all,!tlsv1.3";
    auto const tls12 = context(config);
    ASSERT_TRUE(tls12);
    Outcome const down = connect(*tls12, Server{valid_, 0, {}}, Dial{"mx1.mx.example"});
    EXPECT_TRUE(down.client.ok);
    EXPECT_EQ(down.client.tls_info.rfind("TLSv1.2:", 0), 0U) << down.client.tls_info;
}

TEST_F(ClientTls, CiphersAreOpenSslsList) {
    ClientTlsConfig config;
    config.ca_file = ca_.cert_file();
    config.protocols = "tlsv1.2";
    config.ciphers = "ECDHE-ECDSA-CHACHA20-POLY1305";
    auto const chacha = context(config);
    ASSERT_TRUE(chacha);
    Outcome const o = connect(*chacha, Server{valid_, 0, {}}, Dial{"mx1.mx.example"});
    EXPECT_TRUE(o.client.ok);
    EXPECT_EQ(o.client.tls_info, "TLSv1.2:ECDHE-ECDSA-CHACHA20-POLY1305:256");
    for (char const* keyword : {"secure", "Default", "compat", "legacy", "all", "insecure"}) {
        config.ciphers = keyword;
        EXPECT_TRUE(make_client_context(config).has_value()) << keyword;
    }
    EXPECT_EQ(openssl_cipher_list("COMPAT"), "HIGH:!aNULL");
    EXPECT_EQ(openssl_cipher_list("HIGH:!MD5"), "HIGH:!MD5");
}

TEST_F(ClientTls, StartTlsAfterAPlainGreeting) {
    auto const ctx = trusting_ca();
    ASSERT_TRUE(ctx);
    Outcome const o = connect(*ctx, Server{valid_, 0, {}}, Dial{"mx1.mx.example", true, true});
    EXPECT_TRUE(o.client.ok) << o.client.verify_result;
    EXPECT_EQ(o.server.sni, "mx1.mx.example");
    EXPECT_EQ(o.server.received, "EHLO relay.example\r\n");
}

// The SHA-256 of the certificate in `cert_file` (its first PEM block), as libtls writes it.
std::string fingerprint(std::string const& cert_file) {
    std::unique_ptr<BIO, decltype(&BIO_free)> const bio(BIO_new_file(cert_file.c_str(), "r"),
                                                        &BIO_free);
    std::unique_ptr<X509, decltype(&X509_free)> const cert(
        bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr, &X509_free);
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (!cert || X509_digest(cert.get(), EVP_sha256(), digest.data(), &size) != 1) {
        return {};
    }
    std::string out = "SHA256:";
    constexpr std::string_view kHex = "0123456789abcdef";
    for (unsigned int i = 0; i < size; ++i) {
        out += kHex.at(digest.at(i) >> 4U);
        out += kHex.at(digest.at(i) & 0xfU);
    }
    return out;
}

TEST_F(ClientTls, TheFingerprintIsTheSha256OfTheServedCertificate) {
    auto const ctx = trusting_ca();
    ASSERT_TRUE(ctx);
    Outcome const o = connect(*ctx, Server{valid_, 0, {}}, Dial{"mx1.mx.example"});
    ASSERT_TRUE(o.client.ok);
    std::string const expected = fingerprint(valid_.cert_file);
    ASSERT_EQ(expected.size(), 7U + 64U);
    EXPECT_EQ(o.client.hash, expected);
    Outcome const other = connect(*ctx, Server{expired_, 0, {}}, Dial{"mx1.mx.example", false});
    EXPECT_EQ(other.client.hash, fingerprint(expired_.cert_file));
    EXPECT_NE(other.client.hash, expected);
}

TEST_F(ClientTls, ContextErrorsNameTheFileOrTheOption) {
    ClientTlsConfig config;
    config.ca_file = dir_.path() + "/missing-ca.pem";
    auto const no_ca = make_client_context(config);
    ASSERT_FALSE(no_ca.has_value());
    EXPECT_NE(no_ca.error().message.find("missing-ca.pem"), std::string::npos);
    config.ca_file = valid_.key_file;
    auto const not_a_ca = make_client_context(config);
    ASSERT_FALSE(not_a_ca.has_value());
    EXPECT_EQ(not_a_ca.error().code, make_error_code(TlsErrc::BadCa));
    config.ca_file = ca_.cert_file();
    config.pki = PkiFiles{"relay", valid_.cert_file, expired_.key_file};
    auto const mismatch = make_client_context(config);
    ASSERT_FALSE(mismatch.has_value());
    EXPECT_EQ(mismatch.error().code, make_error_code(TlsErrc::KeyMismatch));
    EXPECT_NE(mismatch.error().message.find(expired_.key_file), std::string::npos);
    config.pki.reset();
    config.protocols = "tlsv1.0";
    auto const old = make_client_context(config);
    ASSERT_FALSE(old.has_value());
    EXPECT_EQ(old.error().code, make_error_code(TlsErrc::BadProtocols));
    config.protocols.reset();
    config.ciphers = "NO-SUCH-CIPHER";
    auto const cipher = make_client_context(config);
    ASSERT_FALSE(cipher.has_value());
    EXPECT_EQ(cipher.error().code, make_error_code(TlsErrc::BadCiphers));
    EXPECT_NE(cipher.error().message.find("NO-SUCH-CIPHER"), std::string::npos);
}

TEST_F(ClientTls, ConfigComesFromTheRelayAction) {
    std::string const text = "pki client cert \"" + valid_.cert_file + "\"\npki client key \"" +
                             valid_.key_file + "\"\nca anchors cert \"" + ca_.cert_file() +
                             "\"\naction out relay pki client ca ANCHORS protocols tlsv1.3 "
                             "ciphers compat\naction plain relay\n";
    auto const parsed = conf::parse_config(text, "smtpd.conf");
    ASSERT_TRUE(parsed.ok()) << (parsed.errors.empty() ? "" : parsed.errors[0].to_string());
    conf::Config const& config = *parsed.config;
    ASSERT_EQ(config.actions.size(), 2U);
    ClientTlsConfig const out = client_tls_config(config, config.actions[0].relay);
    ASSERT_TRUE(out.pki);
    EXPECT_EQ(out.pki->name, "client");
    EXPECT_EQ(out.pki->cert_file, valid_.cert_file);
    EXPECT_EQ(out.pki->key_file, valid_.key_file);
    EXPECT_EQ(out.ca_file, ca_.cert_file());
    EXPECT_EQ(out.protocols, "tlsv1.3");
    EXPECT_EQ(out.ciphers, "compat");
    EXPECT_TRUE(make_client_context(out).has_value());
    ClientTlsConfig const plain = client_tls_config(config, config.actions[1].relay);
    EXPECT_FALSE(plain.pki);
    EXPECT_FALSE(plain.ca_file);
    EXPECT_FALSE(plain.protocols);
    EXPECT_FALSE(plain.ciphers);
}

} // namespace
} // namespace smtpd::rt::tls

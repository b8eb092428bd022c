// ServerTls in real handshakes: an Asio ssl::stream server on a loopback TCP socket with the
// context under test, and an OpenSSL client. Certificates are made at run time (test_certs.hpp).
// Checks the certificate served for each SNI name, the TLS 1.2 floor, and client verification.
// Depends on: runtime/tls/tls_config.hpp, test_certs.hpp, temp_dir.hpp, OpenSSL, Boost.Asio.
#include "temp_dir.hpp"
#include "test_certs.hpp"
#include "tls/tls_config.hpp"

#include <utility> // before Asio (Boost 1.74 under -std=c++20)

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <optional>
#include <string>
#include <thread>

namespace smtpd::rt::tls {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using testing::CertFiles;
using testing::common_name;
using testing::LeafSpec;
using testing::TempDir;
using testing::TestCa;

struct ClientOptions {
    std::string server_name;              ///< SNI; none when empty
    int max_version = 0;                  ///< e.g. TLS1_1_VERSION, with every older one allowed
    std::optional<CertFiles> certificate; ///< the client's own
};

struct Handshake {
    bool client_ok = false;
    std::string served_cn; ///< CN of the certificate the client received
    int version = 0;
    boost::system::error_code server_error;
    std::string client_cn; ///< CN of the client certificate the server received
};

// The client side, with OpenSSL directly: connects, handshakes, reads the server's certificate.
void run_client(std::uint16_t port, ClientOptions const& options, Handshake& out) {
    int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr const*>(&addr), sizeof addr), 0);
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (options.max_version != 0) {
        // A client that offers TLS 1.0 and 1.1 too: OpenSSL's default security level (and some
        // distributions' openssl.cnf) would refuse them on the client side already.
        SSL_CTX_set_security_level(ctx, 0);
        SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
        SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
        SSL_CTX_set_max_proto_version(ctx, options.max_version);
    }
    if (options.certificate) {
        EXPECT_EQ(SSL_CTX_use_certificate_chain_file(ctx, options.certificate->cert_file.c_str()),
                  1);
        EXPECT_EQ(SSL_CTX_use_PrivateKey_file(ctx, options.certificate->key_file.c_str(),
                                              SSL_FILETYPE_PEM),
                  1);
    }
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (!options.server_name.empty()) {
        SSL_set_tlsext_host_name(ssl, options.server_name.c_str());
    }
    out.client_ok = SSL_connect(ssl) == 1;
    if (out.client_ok) {
        X509* peer = SSL_get1_peer_certificate(ssl);
        out.served_cn = common_name(peer);
        X509_free(peer);
        out.version = SSL_version(ssl);
        SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    ::close(fd);
}

Handshake handshake(ServerTls& tls, ClientOptions const& options) {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    Handshake out;
    std::thread server([&] {
        tcp::socket socket(io);
        boost::system::error_code ec;
        acceptor.accept(socket, ec);
        if (ec) {
            out.server_error = ec;
            return;
        }
        asio::ssl::stream<tcp::socket> stream(std::move(socket), tls.context());
        stream.handshake(asio::ssl::stream_base::server, out.server_error);
        if (!out.server_error) {
            X509* peer = SSL_get1_peer_certificate(stream.native_handle());
            out.client_cn = common_name(peer);
            X509_free(peer);
        }
    });
    run_client(acceptor.local_endpoint().port(), options, out);
    server.join();
    return out;
}

class TlsHandshake : public ::testing::Test {
  protected:
    TempDir dir_;
    TestCa ca_{dir_.path(), "server"};
    CertFiles mail_ = ca_.issue("mail", LeafSpec{{"mail.example.org", "smtp.example.org"}, {}, {}});
    CertFiles wildcard_ = ca_.issue("wild", LeafSpec{{"*.example.net"}, {}, true});

    std::shared_ptr<ServerTls> make(ServerTlsConfig const& config) {
        auto tls = ServerTls::create(config);
        EXPECT_TRUE(tls.has_value()) << (tls ? "" : tls.error().message);
        return tls ? tls.value() : nullptr;
    }
    [[nodiscard]] ServerTlsConfig two_pkis() const {
        return ServerTlsConfig{{{"mail", mail_.cert_file, mail_.key_file},
                                {"wild", wildcard_.cert_file, wildcard_.key_file}},
                               std::nullopt,
                               false,
                               std::nullopt};
    }
};

TEST_F(TlsHandshake, EachSniNameGetsItsOwnCertificate) {
    auto const tls = make(two_pkis());
    ASSERT_TRUE(tls);
    for (auto const& [name, cn] :
         {std::pair<std::string, std::string>{"mail.example.org", "mail.example.org"},
          {"SMTP.example.org", "mail.example.org"},
          {"mx1.example.net", "*.example.net"},
          {"example.com", "mail.example.org"},
          {"a.b.example.net", "mail.example.org"},
          {"", "mail.example.org"}}) {
        Handshake const h = handshake(*tls, ClientOptions{name, 0, std::nullopt});
        EXPECT_TRUE(h.client_ok) << name;
        EXPECT_FALSE(h.server_error) << name << ": " << h.server_error.message();
        EXPECT_EQ(h.served_cn, cn) << name;
    }
}

TEST_F(TlsHandshake, TheFirstPkiIsTheDefault) {
    ServerTlsConfig config = two_pkis();
    std::swap(config.pkis[0], config.pkis[1]);
    auto const tls = make(config);
    ASSERT_TRUE(tls);
    EXPECT_EQ(handshake(*tls, ClientOptions{"unknown.example.com", 0, std::nullopt}).served_cn,
              "*.example.net");
    EXPECT_EQ(handshake(*tls, ClientOptions{"mail.example.org", 0, std::nullopt}).served_cn,
              "mail.example.org");
}

TEST_F(TlsHandshake, NegotiatesTls12OrLater) {
    auto const tls = make(two_pkis());
    ASSERT_TRUE(tls);
    Handshake const h = handshake(*tls, ClientOptions{"mail.example.org", 0, std::nullopt});
    ASSERT_TRUE(h.client_ok);
    EXPECT_GE(h.version, TLS1_2_VERSION);
    Handshake const tls12 =
        handshake(*tls, ClientOptions{"mail.example.org", TLS1_2_VERSION, std::nullopt});
    EXPECT_TRUE(tls12.client_ok);
    EXPECT_EQ(tls12.version, TLS1_2_VERSION);
}

// Security level 0 on both sides in this test and the next, so that only the protocol floor
// tells them apart (OpenSSL's default level would refuse TLS 1.1's signatures on its own).
void allow_weak_crypto(ServerTls& tls) {
    SSL_CTX* ctx = tls.context().native_handle();
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
}

TEST_F(TlsHandshake, Tls11IsRefused) {
    auto const tls = make(two_pkis());
    ASSERT_TRUE(tls);
    allow_weak_crypto(*tls);
    Handshake const h =
        handshake(*tls, ClientOptions{"mail.example.org", TLS1_1_VERSION, std::nullopt});
    EXPECT_FALSE(h.client_ok);
    EXPECT_TRUE(h.server_error);
}

TEST_F(TlsHandshake, Tls11ClientWorksAgainstAPermissiveServer) {
    // The control for Tls11IsRefused: with the floor lowered, the same client and server agree
    // on TLS 1.1, so the refusal above comes from ServerTls's floor.
    auto const tls = make(two_pkis());
    ASSERT_TRUE(tls);
    allow_weak_crypto(*tls);
    SSL_CTX_set_min_proto_version(tls->context().native_handle(), TLS1_VERSION);
    Handshake const h =
        handshake(*tls, ClientOptions{"mail.example.org", TLS1_1_VERSION, std::nullopt});
    EXPECT_TRUE(h.client_ok);
    EXPECT_EQ(h.version, TLS1_1_VERSION);
}

TEST_F(TlsHandshake, WithoutVerifyNoClientCertificateIsAskedFor) {
    auto const tls = make(two_pkis());
    ASSERT_TRUE(tls);
    TestCa clients(dir_.path(), "clients");
    CertFiles const alice = clients.issue("alice", LeafSpec{{}, "alice", false});
    Handshake const h = handshake(*tls, ClientOptions{"mail.example.org", 0, alice});
    EXPECT_TRUE(h.client_ok);
    EXPECT_FALSE(h.server_error);
    EXPECT_EQ(h.client_cn, "");
}

class TlsVerify : public TlsHandshake {
  protected:
    TestCa clients_{dir_.path(), "clients"};
    CertFiles alice_ = clients_.issue("alice", LeafSpec{{}, "alice", false});

    std::shared_ptr<ServerTls> verifying() {
        ServerTlsConfig config = two_pkis();
        config.ca_file = clients_.cert_file();
        config.verify = true;
        return make(config);
    }
};

TEST_F(TlsVerify, RejectsAClientWithoutACertificate) {
    auto const tls = verifying();
    ASSERT_TRUE(tls);
    Handshake const h = handshake(*tls, ClientOptions{"mail.example.org", 0, std::nullopt});
    EXPECT_TRUE(h.server_error);
    Handshake const tls12 =
        handshake(*tls, ClientOptions{"mail.example.org", TLS1_2_VERSION, std::nullopt});
    EXPECT_FALSE(tls12.client_ok); // in TLS 1.2 the client sees the server's alert
    EXPECT_TRUE(tls12.server_error);
}

TEST_F(TlsVerify, AcceptsAClientCertificateSignedByTheCa) {
    auto const tls = verifying();
    ASSERT_TRUE(tls);
    for (auto const& name : {"mail.example.org", "mx.example.net"}) {
        Handshake const h = handshake(*tls, ClientOptions{name, 0, alice_});
        EXPECT_TRUE(h.client_ok) << name;
        EXPECT_FALSE(h.server_error) << name << ": " << h.server_error.message();
        EXPECT_EQ(h.client_cn, "alice") << name;
    }
}

TEST_F(TlsVerify, RejectsAClientCertificateFromAnotherCa) {
    auto const tls = verifying();
    ASSERT_TRUE(tls);
    TestCa other(dir_.path(), "other");
    CertFiles const mallory = other.issue("mallory", LeafSpec{{}, "mallory", false});
    // After an SNI switch too: every pki's context verifies against the same ca.
    for (auto const& name : {"mail.example.org", "mx.example.net"}) {
        Handshake const h = handshake(*tls, ClientOptions{name, 0, mallory});
        EXPECT_TRUE(h.server_error) << name;
        EXPECT_EQ(h.client_cn, "") << name;
    }
}

} // namespace
} // namespace smtpd::rt::tls

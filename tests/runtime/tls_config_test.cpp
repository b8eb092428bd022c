// ServerTls::create's errors (each names its file and keeps an errno or TlsErrc code), SNI
// selection by certificate names, and server_tls_config from a parsed smtpd.conf.
// Depends on: runtime/tls/tls_config.hpp, test_certs.hpp, temp_dir.hpp, grammar's conf.
#include "conf/conf.hpp"
#include "temp_dir.hpp"
#include "test_certs.hpp"
#include "tls/tls_config.hpp"
#include "tls/tls_error.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <string>

namespace smtpd::rt::tls {
namespace {

using testing::CertFiles;
using testing::LeafSpec;
using testing::TempDir;
using testing::TestCa;

class TlsConfig : public ::testing::Test {
  protected:
    TempDir dir_;
    TestCa ca_{dir_.path(), "server"};
    CertFiles mail_ = ca_.issue("mail", LeafSpec{{"mail.example.org"}, {}, {}});

    std::string write(std::string const& name, std::string const& text) {
        std::string path = dir_.path() + "/" + name;
        std::ofstream(path) << text;
        return path;
    }
    Failure create_fails(ServerTlsConfig const& config) {
        auto tls = ServerTls::create(config);
        EXPECT_FALSE(tls.has_value());
        return tls ? Failure{} : tls.error();
    }
    [[nodiscard]] ServerTlsConfig with(std::string const& cert, std::string const& key) const {
        return ServerTlsConfig{{{"mail", cert, key}}, std::nullopt, false, std::nullopt};
    }
};

TEST_F(TlsConfig, BuildsFromACertificateAndItsKey) {
    auto tls = ServerTls::create(with(mail_.cert_file, mail_.key_file));
    ASSERT_TRUE(tls.has_value()) << tls.error().message;
    EXPECT_EQ(tls.value()->pki_name(0), "mail");
    SSL_CTX* ctx = tls.value()->context().native_handle();
    EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
    auto const options = SSL_CTX_get_options(ctx);
    EXPECT_NE(options & SSL_OP_NO_COMPRESSION, 0u);
    EXPECT_NE(options & SSL_OP_NO_RENEGOTIATION, 0u);
    EXPECT_NE(options & SSL_OP_CIPHER_SERVER_PREFERENCE, 0u);
    EXPECT_EQ(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_NONE);
}

TEST_F(TlsConfig, AMissingCertificateFileIsNamedWithItsErrno) {
    std::string const missing = dir_.path() + "/nope.crt";
    Failure const f = create_fails(with(missing, mail_.key_file));
    EXPECT_EQ(f.code, std::error_code(ENOENT, std::generic_category()));
    EXPECT_EQ(f.message, missing + ": No such file or directory");
}

TEST_F(TlsConfig, AMissingKeyFileIsNamedWithItsErrno) {
    std::string const missing = dir_.path() + "/nope.key";
    Failure const f = create_fails(with(mail_.cert_file, missing));
    EXPECT_EQ(f.code, std::error_code(ENOENT, std::generic_category()));
    EXPECT_EQ(f.message, missing + ": No such file or directory");
}

TEST_F(TlsConfig, AKeyOfAnotherCertificateIsRefused) {
    std::string const stray = ca_.stray_key("stray");
    Failure const f = create_fails(with(mail_.cert_file, stray));
    EXPECT_EQ(f.code, TlsErrc::KeyMismatch);
    EXPECT_EQ(f.message,
              stray + ": the private key does not match the certificate " + mail_.cert_file);
}

TEST_F(TlsConfig, CertificateAndKeySwappedAreRefused) {
    Failure const f = create_fails(with(mail_.key_file, mail_.cert_file));
    EXPECT_EQ(f.code, TlsErrc::BadCertificate);
    EXPECT_EQ(f.message, mail_.key_file + ": no PEM certificate");
}

TEST_F(TlsConfig, GarbageIsNotACertificate) {
    std::string const bad = write("bad.crt", "-----BEGIN CERTIFICATE-----\nnot base64!\n"
                                             "-----END CERTIFICATE-----\n");
    Failure const f = create_fails(with(bad, mail_.key_file));
    EXPECT_EQ(f.code, TlsErrc::BadCertificate);
    EXPECT_EQ(f.message, bad + ": no PEM certificate");
}

TEST_F(TlsConfig, GarbageIsNotAKey) {
    std::string const bad = write("bad.key", "hello\n");
    Failure const f = create_fails(with(mail_.cert_file, bad));
    EXPECT_EQ(f.code, TlsErrc::BadKey);
    EXPECT_EQ(f.message.rfind(bad + ": no usable PEM private key", 0), 0u) << f.message;
}

TEST_F(TlsConfig, AnEncryptedKeyIsRefusedWithoutPrompting) {
    std::string const locked = ca_.stray_key("locked", "secret");
    Failure const f = create_fails(with(mail_.cert_file, locked));
    EXPECT_EQ(f.code, TlsErrc::BadKey);
    EXPECT_EQ(f.message.rfind(locked + ": no usable PEM private key", 0), 0u) << f.message;
}

TEST_F(TlsConfig, TheSecondPkiIsCheckedToo) {
    ServerTlsConfig config = with(mail_.cert_file, mail_.key_file);
    config.pkis.push_back({"other", mail_.cert_file, dir_.path() + "/other.key"});
    Failure const f = create_fails(config);
    EXPECT_EQ(f.message, dir_.path() + "/other.key: No such file or directory");
}

TEST_F(TlsConfig, NoPkiIsAnError) {
    Failure const f = create_fails(ServerTlsConfig{});
    EXPECT_EQ(f.code, TlsErrc::NoPki);
    EXPECT_EQ(f.message, "TLS needs at least one pki");
}

TEST_F(TlsConfig, CaFileErrors) {
    ServerTlsConfig config = with(mail_.cert_file, mail_.key_file);
    config.verify = true;
    config.ca_file = dir_.path() + "/no-ca.pem";
    Failure const missing = create_fails(config);
    EXPECT_EQ(missing.code, std::error_code(ENOENT, std::generic_category()));
    EXPECT_EQ(missing.message, *config.ca_file + ": No such file or directory");
    config.ca_file = write("empty-ca.pem", "");
    Failure const empty = create_fails(config);
    EXPECT_EQ(empty.code, TlsErrc::BadCa);
    EXPECT_EQ(empty.message, *config.ca_file + ": no PEM certificate");
}

TEST_F(TlsConfig, VerifyRequiresAClientCertificate) {
    ServerTlsConfig config = with(mail_.cert_file, mail_.key_file);
    config.verify = true;
    config.ca_file = ca_.cert_file();
    auto tls = ServerTls::create(config);
    ASSERT_TRUE(tls.has_value()) << tls.error().message;
    EXPECT_EQ(SSL_CTX_get_verify_mode(tls.value()->context().native_handle()),
              SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
    // Verify without a ca uses the system's trust store.
    config.ca_file.reset();
    EXPECT_TRUE(ServerTls::create(config).has_value());
}

TEST_F(TlsConfig, SelectMatchesSubjectAltNamesThenTheCommonName) {
    CertFiles const wild = ca_.issue("wild", LeafSpec{{"*.example.net", "example.net"}, {}, {}});
    CertFiles const cn_only = ca_.issue("legacy", LeafSpec{{}, "legacy.example.com", false});
    CertFiles const san_and_cn =
        ca_.issue("both", LeafSpec{{"san.example.com"}, "cn.example.com", false});
    auto tls =
        ServerTls::create(ServerTlsConfig{{{"mail", mail_.cert_file, mail_.key_file},
                                           {"wild", wild.cert_file, wild.key_file},
                                           {"legacy", cn_only.cert_file, cn_only.key_file},
                                           {"both", san_and_cn.cert_file, san_and_cn.key_file}},
                                          std::nullopt,
                                          false,
                                          std::nullopt});
    ASSERT_TRUE(tls.has_value()) << tls.error().message;
    ServerTls const& t = *tls.value();
    EXPECT_EQ(t.select("mail.example.org"), 0u);
    EXPECT_EQ(t.select("MAIL.Example.ORG"), 0u);
    EXPECT_EQ(t.select("smtp.example.net"), 1u);
    EXPECT_EQ(t.select("example.net"), 1u);
    EXPECT_EQ(t.select("a.b.example.net"), 0u); // a wildcard stands for one label
    EXPECT_EQ(t.select("legacy.example.com"), 2u);
    EXPECT_EQ(t.select("san.example.com"), 3u);
    EXPECT_EQ(t.select("cn.example.com"), 0u); // with a DNS subjectAltName the CN is ignored
    EXPECT_EQ(t.select(""), 0u);
    EXPECT_EQ(t.select("unknown"), 0u);
    EXPECT_EQ(t.pki_name(3), "both");
}

TEST(TlsServerConfig, FromAListenerOfAParsedConfiguration) {
    conf::ConfResult const r = conf::parse_config(
        "pki a.example.org cert \"/a.crt\" key \"/a.key\"\npki B cert \"/b.crt\" key \"/b.key\"\n"
        "ca clients cert \"/ca.pem\"\n"
        "listen on lo smtps verify pki b pki a.example.org ca clients\nlisten on lo\n",
        "smtpd.conf");
    ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
    ServerTlsConfig const c = server_tls_config(*r.config, r.config->listeners[0]);
    ASSERT_EQ(c.pkis.size(), 2u);
    EXPECT_EQ(c.pkis[0].name, "b");
    EXPECT_EQ(c.pkis[0].cert_file, "/b.crt");
    EXPECT_EQ(c.pkis[0].key_file, "/b.key");
    EXPECT_EQ(c.pkis[1].name, "a.example.org");
    EXPECT_EQ(c.pkis[1].cert_file, "/a.crt");
    EXPECT_EQ(c.ca_file, "/ca.pem");
    EXPECT_TRUE(c.verify);
    ServerTlsConfig const plain = server_tls_config(*r.config, r.config->listeners[1]);
    EXPECT_TRUE(plain.pkis.empty());
    EXPECT_FALSE(plain.ca_file.has_value());
    EXPECT_FALSE(plain.verify);
}

} // namespace
} // namespace smtpd::rt::tls

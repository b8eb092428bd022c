// Tests of the listen targets and the options of smtpd.conf(5) 7.x beyond TLS and AUTH
// (grammar/conf/conf_listen.cpp): inet4/inet6, mask-src, received-auth, hostnames, protocols,
// ciphers, proxy-v2; and the forms refused until their issue lands (socket, senders, filter),
// each with its exact file:line:column message.
// Depends on: grammar/conf/conf.hpp, GoogleTest.
#include "conf/conf.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace smtpd::conf {
namespace {

constexpr std::string_view kPrelude = "pki mail cert \"/etc/ssl/mx.crt\" key \"/etc/ssl/mx.key\"\n"
                                      "table names { 127.0.0.1 = mx1.example.com }\n"
                                      "table list { a, b }\n";

ConfResult parse(std::string_view line) {
    return parse_config(std::string(kPrelude) + std::string(line) + "\n", "smtpd.conf");
}

Listen listen_ok(std::string_view line) {
    ConfResult const r = parse(line);
    for (auto const& e : r.errors) {
        ADD_FAILURE() << e.to_string();
    }
    if (!r.config || r.config->listeners.size() != 1) {
        ADD_FAILURE() << "no listener for: " << line;
        return Listen{};
    }
    return r.config->listeners[0];
}

std::vector<std::string> errors(std::string_view line) {
    std::vector<std::string> out;
    for (auto const& e : parse(line).errors) {
        out.push_back(e.to_string());
    }
    return out;
}

TEST(ConfListenTargets, InterfaceNamesHostNamesAndEgressAreKeptAsWritten) {
    EXPECT_EQ(listen_ok("listen on lo").address, "lo");
    EXPECT_EQ(listen_ok("listen on eth0 port 2525").address, "eth0");
    EXPECT_EQ(listen_ok("listen on egress").address, "egress");
    EXPECT_EQ(listen_ok("listen on \"mail.example.org\"").address, "mail.example.org");
}

TEST(ConfListenTargets, AddressFamilies) {
    EXPECT_EQ(listen_ok("listen on lo").family, Listen::Family::Any);
    EXPECT_EQ(listen_ok("listen on lo inet4").family, Listen::Family::Inet4);
    EXPECT_EQ(listen_ok("listen on localhost port 2526 inet6").family, Listen::Family::Inet6);
}

TEST(ConfListenOptions, ReceivedHeaderOptionsAndHostnames) {
    Listen const l = listen_ok("listen on 127.0.0.1 port 2525 hostname mail.example.com mask-src "
                               "no-dsn received-auth hostnames <names>");
    EXPECT_TRUE(l.mask_src);
    EXPECT_TRUE(l.received_auth);
    EXPECT_TRUE(l.no_dsn);
    EXPECT_EQ(l.hostname, "mail.example.com");
    EXPECT_EQ(l.hostnames_table, "names");
    Listen const plain = listen_ok("listen on lo");
    EXPECT_FALSE(plain.mask_src);
    EXPECT_FALSE(plain.received_auth);
    EXPECT_FALSE(plain.hostnames_table.has_value());
    EXPECT_FALSE(plain.proxy_v2);
    EXPECT_TRUE(listen_ok("listen on 127.0.0.1 port 2525 proxy-v2").proxy_v2);
}

TEST(ConfListenOptions, ProtocolsAndCiphersWithTls) {
    Listen const l = listen_ok(
        "listen on 0.0.0.0 port 2525 tls pki mail protocols \"tlsv1.2,tlsv1.3\" ciphers \"HIGH\"");
    EXPECT_EQ(l.tls_protocols, "tlsv1.2,tlsv1.3");
    EXPECT_EQ(l.tls_ciphers, "HIGH");
    EXPECT_FALSE(listen_ok("listen on lo tls pki mail").tls_protocols.has_value());
}

struct ErrorCase {
    char const* id;
    char const* line; ///< the fourth line, after kPrelude
    char const* message;
};

// clang-format off
constexpr ErrorCase kErrors[] = {
    {"Socket", "listen on socket", R"(smtpd.conf:4:11: "listen on socket" is not implemented yet)"},
    {"SocketWithOptions", "listen on socket mask-src", R"(smtpd.conf:4:11: "listen on socket" is not implemented yet)"},
    {"Inet4AndInet6", "listen on lo inet4 inet6", R"(smtpd.conf:4:20: "inet6" conflicts with "inet4": a listener has one address family)"},
    {"Inet4Twice", "listen on lo inet4 inet4", R"(smtpd.conf:4:20: "inet4" already specified for this listener)"},
    {"MaskSrcTwice", "listen on lo mask-src mask-src", R"(smtpd.conf:4:23: "mask-src" already specified for this listener)"},
    {"ReceivedAuthTwice", "listen on lo received-auth received-auth", R"(smtpd.conf:4:28: "received-auth" already specified for this listener)"},
    {"HostnamesUndefined", "listen on lo hostnames <nope>", R"(smtpd.conf:4:25: undefined table "nope" (tables must be declared before use))"},
    {"HostnamesWithoutBrackets", "listen on lo hostnames names", R"(smtpd.conf:4:24: expected a table reference "<name>" after "hostnames")"},
    {"ProtocolsWithoutTls", "listen on lo protocols \"tlsv1.3\"", R"(smtpd.conf:4:14: "protocols" requires "tls", "tls-require" or "smtps")"},
    {"CiphersWithoutTls", "listen on lo ciphers HIGH", R"(smtpd.conf:4:14: "ciphers" requires "tls", "tls-require" or "smtps")"},
    {"ProtocolsUnknown", "listen on lo tls pki mail protocols \"sslv3\"", R"(smtpd.conf:4:37: invalid TLS protocols "sslv3": expected names such as "tlsv1.2,tlsv1.3", "secure" or "all")"},
    {"CiphersEmpty", "listen on lo tls pki mail ciphers \"\"", R"(smtpd.conf:4:35: invalid TLS ciphers "")"},
    {"MasqueradeAlone", "listen on lo masquerade", R"(smtpd.conf:4:14: "masquerade" must follow "senders <table>")"},
    {"Senders", "listen on lo senders <names> masquerade", R"(smtpd.conf:4:14: "senders" is not implemented yet)"},
    {"ProxyV2Twice", "listen on lo proxy-v2 proxy-v2", R"(smtpd.conf:4:23: "proxy-v2" already specified for this listener)"},
    {"Filter", "listen on lo filter \"rspamd\"", R"(smtpd.conf:4:14: filters are not implemented yet)"},
    {"FilterWithoutName", "listen on lo filter", R"(smtpd.conf:4:20: expected a filter name after "filter")"},
};
// clang-format on

class ConfListenErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfListenErrors, ExactPositionAndMessage) {
    EXPECT_EQ(errors(GetParam().line), (std::vector<std::string>{GetParam().message}));
}

INSTANTIATE_TEST_SUITE_P(Rows, ConfListenErrors, ::testing::ValuesIn(kErrors),
                         [](auto const& info) { return std::string(info.param.id); });

} // namespace
} // namespace smtpd::conf

// Envelope encoding, version 5: the exact text written, round trips of every field with any
// bytes in its value, and escaping that keeps injected lines and spaces inside their field.
#include "spool/envelope.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

namespace smtpd::rt {
namespace {

QueuedEnvelope sample() {
    QueuedEnvelope e{"0123456789abcdef",
                     1700000000,
                     "client.example",
                     "127.0.0.1",
                     true,
                     "a@example.org",
                     {{"b@localhost", "root", "/var/mail/Maildir"}},
                     2,
                     "421 try later"};
    e.auth_user = "alice";
    e.tls = true;
    e.body = kBody8BitMime;
    e.smtputf8 = true;
    e.ret = kRetHdrs;
    e.envid = "QQ314159";
    e.auth_param = "alice+40example.org";
    e.declared_size = 12345;
    e.recipients[0].notify = kQueuedNotifyFailure | kQueuedNotifyDelay;
    e.recipients[0].orcpt = "rfc822;b+40localhost";
    e.recipients[0].action = "local";
    e.recipients[0].uid = 0;
    e.recipients[0].gid = 0;
    e.recipients[0].home = "/root";
    e.recipients[0].junk = true;
    e.recipients[0].dest = "bee@localhost";
    e.last_try = 1700000100;
    e.last_warn = 1700000200;
    e.listener = "[::1]:2525";
    return e;
}

std::string all_bytes() {
    std::string s;
    for (int c = 0; c < 256; ++c) {
        s += static_cast<char>(c);
    }
    return s;
}

TEST(Envelope, WritesEveryFieldOfVersion5) {
    EXPECT_EQ(encode_envelope(sample()), "version 5\n"
                                         "id 0123456789abcdef\n"
                                         "created 1700000000\n"
                                         "helo client.example\n"
                                         "client 127.0.0.1\n"
                                         "local 1\n"
                                         "listener [::1]:2525\n"
                                         "sender a@example.org\n"
                                         "auth-user alice\n"
                                         "tls 1\n"
                                         "body 8BITMIME\n"
                                         "smtputf8 1\n"
                                         "ret HDRS\n"
                                         "envid QQ314159\n"
                                         "auth-param alice+40example.org\n"
                                         "size 12345\n"
                                         "rcpt b@localhost root /var/mail/Maildir 12 "
                                         "rfc822;b+40localhost maildir local 0 0 /root 1 0 "
                                         "bee@localhost\n"
                                         "attempts 2\n"
                                         "last-try 1700000100\n"
                                         "last-warn 1700000200\n"
                                         "error 421%20try%20later\n");
}

TEST(Envelope, WritesEmptyValuesForParametersNotGiven) {
    QueuedEnvelope e = sample();
    e.auth_user.clear();
    e.tls = false;
    e.body.clear();
    e.smtputf8 = false;
    e.ret.clear();
    e.envid.clear();
    e.auth_param.clear();
    e.declared_size.reset();
    e.recipients[0] = {"b@localhost", "root", "/var/mail/Maildir"};
    e.last_try = 0;
    e.last_warn = 0;
    e.listener.clear();
    std::string const text = encode_envelope(e);
    for (auto const* line :
         {"\nlistener \n", "\nauth-user \n", "\ntls 0\n", "\nbody \n", "\nsmtputf8 0\n", "\nret \n",
          "\nenvid \n", "\nauth-param \n", "\nsize \n", "\nlast-try 0\n", "\nlast-warn 0\n",
          "\nrcpt b@localhost root /var/mail/Maildir 0  maildir     0 0 \n"}) {
        EXPECT_NE(text.find(line), std::string::npos) << line;
    }
    auto const decoded = decode_envelope(text);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, e);
}

TEST(Envelope, RoundTrips) {
    auto const decoded = decode_envelope(encode_envelope(sample()));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, sample());
}

TEST(Envelope, RoundTripsASizeOfZeroAndTheLargestSize) {
    for (std::uint64_t const size : {std::uint64_t{0}, ~std::uint64_t{0}}) {
        QueuedEnvelope e = sample();
        e.declared_size = size;
        auto const decoded = decode_envelope(encode_envelope(e));
        ASSERT_TRUE(decoded.has_value());
        EXPECT_EQ(decoded->declared_size, size);
    }
}

TEST(Envelope, RoundTripsEveryByteInEveryStringField) {
    std::string const bytes = all_bytes();
    QueuedEnvelope e = sample();
    for (auto* field : {&e.id, &e.helo, &e.client_address, &e.sender, &e.last_error, &e.auth_user,
                        &e.envid, &e.auth_param, &e.listener}) {
        *field = bytes;
    }
    e.recipients = {{bytes, bytes, bytes, 15, bytes}, {"", "", "", 0, ""}};
    e.recipients[0].action = bytes;
    e.recipients[0].home = bytes;
    std::string const text = encode_envelope(e);
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 22);
    EXPECT_TRUE(std::all_of(text.begin(), text.end(),
                            [](char c) { return c == '\n' || (c >= 0x20 && c < 0x7f); }));
    auto const decoded = decode_envelope(text);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, e);
}

TEST(Envelope, EscapesNewlinesSoNoFieldCanBeInjected) {
    QueuedEnvelope e = sample();
    e.helo = "x\nrcpt evil@example.org root /tmp";
    e.last_error = "550 no\r\nattempts 0";
    e.envid = "x\nrcpt evil@example.org root /tmp 0 \n";
    e.auth_user = "u\nauth-user root";
    e.auth_param = "<>\nsize 1";
    e.recipients[0].orcpt = "rfc822;a\nrcpt evil@example.org root /tmp 0 x";
    std::string const text = encode_envelope(e);
    EXPECT_EQ(text.find("\nrcpt evil"), std::string::npos);
    EXPECT_EQ(text.find("\nauth-user root"), std::string::npos);
    auto const decoded = decode_envelope(text);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->recipients.size(), 1U);
    EXPECT_EQ(*decoded, e);
}

TEST(Envelope, EscapesSpacesSoNoRecipientFieldCanShift) {
    QueuedEnvelope e = sample();
    e.recipients[0].address = "a b c d e";
    e.recipients[0].target = "/m 15 rfc822;x";
    e.recipients[0].action = "a 1 1";
    e.recipients[0].home = "/h 0 0";
    e.recipients[0].orcpt = "rfc822;x y";
    auto const decoded = decode_envelope(encode_envelope(e));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, e);
}

TEST(Envelope, RoundTripsEveryMethodAndItsFlags) {
    using Method = QueuedRecipient::Method;
    QueuedEnvelope e = sample();
    e.recipients.clear();
    for (auto const method :
         {Method::Maildir, Method::Mbox, Method::Lmtp, Method::Mda, Method::Relay}) {
        QueuedRecipient r{"a@b", "u", "t"};
        r.method = method;
        r.rcpt_to = method == Method::Lmtp;
        r.junk = method == Method::Maildir;
        e.recipients.push_back(r);
    }
    e.recipients[1].target = "/var/mail/u";
    e.recipients[2].target = "[::1]:24";
    e.recipients[3].target = "/usr/bin/procmail -f %{sender}; rm -rf /\nrcpt x";
    e.recipients[3].uid = 4294967295U;
    e.recipients[3].gid = 7;
    std::string const text = encode_envelope(e);
    EXPECT_NE(text.find(" mbox "), std::string::npos);
    EXPECT_NE(text.find(" lmtp "), std::string::npos);
    EXPECT_NE(text.find(" mda  4294967295 7 "), std::string::npos);
    EXPECT_NE(text.find(" relay "), std::string::npos);
    EXPECT_EQ(decode_envelope(text), e);
}

TEST(Envelope, RefusesToWriteWhatItCannotRead) {
    QueuedEnvelope e = sample();
    e.recipients[0].method = static_cast<QueuedRecipient::Method>(9);
    EXPECT_FALSE(decode_envelope(encode_envelope(e)));
    e = sample();
    e.last_try = -1;
    EXPECT_FALSE(decode_envelope(encode_envelope(e)));
}

RC_GTEST_PROP(EnvelopeProps, AnyFieldBytesRoundTrip,
              (std::string helo, std::string sender, std::string rcpt, std::string error)) {
    QueuedEnvelope e = sample();
    e.helo = helo;
    e.sender = sender;
    e.recipients = {{rcpt, "u", "/m"}};
    e.last_error = error;
    auto const decoded = decode_envelope(encode_envelope(e));
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(*decoded == e);
}

RC_GTEST_PROP(EnvelopeProps, AnyVersion2And3ValuesRoundTrip,
              (std::string auth_user, std::string envid, std::string auth_param, std::string orcpt,
               bool has_size, std::uint64_t size, bool tls, bool smtputf8)) {
    QueuedEnvelope e = sample();
    e.auth_user = auth_user;
    e.envid = envid;
    e.auth_param = auth_param;
    e.declared_size = has_size ? std::optional{size} : std::nullopt;
    e.tls = tls;
    e.smtputf8 = smtputf8;
    e.body = *rc::gen::element(std::string{}, std::string{kBody7Bit}, std::string{kBody8BitMime});
    e.ret = *rc::gen::element(std::string{}, std::string{kRetFull}, std::string{kRetHdrs});
    auto const notify = *rc::gen::inRange<unsigned>(0, 16);
    e.recipients.push_back({"c@d", "u", "/m", static_cast<std::uint8_t>(notify), orcpt});
    e.recipients.back().method =
        static_cast<QueuedRecipient::Method>(*rc::gen::inRange<unsigned>(0, 4));
    e.recipients.back().action = auth_user;
    e.recipients.back().home = envid;
    e.recipients.back().uid =
        has_size ? std::optional{static_cast<std::uint32_t>(size)} : std::nullopt;
    e.recipients.back().junk = tls;
    e.recipients.back().rcpt_to = smtputf8;
    e.last_try = static_cast<std::int64_t>(size >> 1U);
    auto const decoded = decode_envelope(encode_envelope(e));
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(*decoded == e);
}

} // namespace
} // namespace smtpd::rt

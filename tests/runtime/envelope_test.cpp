// Envelope encoding: round trips, and the strict decoder refusing injected or broken fields.
#include "spool/envelope.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace smtpd::rt {
namespace {

QueuedEnvelope sample() {
    return QueuedEnvelope{"0123456789abcdef",
                          1700000000,
                          "client.example",
                          "127.0.0.1",
                          true,
                          "a@example.org",
                          {{"b@localhost", "root", "/var/mail/Maildir"}},
                          2,
                          "421 try later"};
}

TEST(Envelope, RoundTrips) {
    auto const decoded = decode_envelope(encode_envelope(sample()));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, sample());
}

TEST(Envelope, EscapesNewlinesSoNoFieldCanBeInjected) {
    QueuedEnvelope e = sample();
    e.helo = "x\nrcpt evil@example.org root /tmp";
    e.last_error = "550 no\r\nattempts 0";
    std::string const text = encode_envelope(e);
    EXPECT_EQ(text.find("\nrcpt evil"), std::string::npos);
    auto const decoded = decode_envelope(text);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->recipients.size(), 1U);
    EXPECT_EQ(decoded->helo, e.helo);
}

TEST(Envelope, RejectsUnknownKeysDuplicatesAndTruncation) {
    std::string const good = encode_envelope(sample());
    EXPECT_FALSE(decode_envelope(good + "color blue\n"));
    EXPECT_FALSE(decode_envelope(good + "sender x@y\n"));
    EXPECT_FALSE(decode_envelope(good.substr(0, good.size() - 1)));
    EXPECT_FALSE(decode_envelope("version 2\n" + good.substr(good.find('\n') + 1)));
    EXPECT_FALSE(decode_envelope(""));
}

TEST(Envelope, RejectsBadEscapes) {
    std::string text = encode_envelope(sample());
    auto const pos = text.find("helo client.example");
    text.replace(pos, 19, "helo a%G1");
    EXPECT_FALSE(decode_envelope(text));
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

} // namespace
} // namespace smtpd::rt

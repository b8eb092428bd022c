// copy_session_options and copy_recipient_options (runtime/dispatcher/queued_options.cpp): what
// the session recorded (MAIL parameters, the authenticated user, TLS, each recipient's NOTIFY and
// ORCPT) reaches the queued envelope and survives its encoding on disk.
#include "dispatcher/queued_options.hpp"
#include "spool/envelope.hpp"

#include <gtest/gtest.h>

#include <cstddef>

namespace smtpd::rt {
namespace {

TEST(QueuedOptions, SessionOptionsSurviveTheQueue) {
    sm::Envelope session;
    session.tls = true;
    session.auth_user = "alice";
    session.mail.size = 1234;
    session.mail.body = sm::Body::EightBitMime;
    session.mail.smtputf8 = true;
    session.mail.ret = sm::Ret::Headers;
    session.mail.envid = "QQ+2B314";
    session.mail.auth = "alice@example.org";
    session.recipients.push_back({{}, {sm::kNotifySuccess | sm::kNotifyDelay, "rfc822;b@x"}});
    session.recipients.push_back({{}, {}});
    QueuedEnvelope q{"0123456789abcdef", 1, "helo", "127.0.0.1", true, "a@x", {}, 0, {}};
    q.recipients.push_back({"b@x", "u", "/m"});
    q.recipients.push_back({"c@x", "u", "/m"});
    copy_session_options(session, q);
    for (std::size_t i = 0; i < q.recipients.size(); ++i) {
        copy_recipient_options(session.recipients[i].options, q.recipients[i]);
    }
    auto const back = decode_envelope(encode_envelope(q));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->auth_user, "alice");
    EXPECT_TRUE(back->tls);
    EXPECT_EQ(back->declared_size, 1234U);
    EXPECT_EQ(back->body, "8BITMIME");
    EXPECT_TRUE(back->smtputf8);
    EXPECT_EQ(back->ret, "HDRS");
    EXPECT_EQ(back->envid, "QQ+2B314");
    EXPECT_EQ(back->auth_param, "alice@example.org");
    EXPECT_EQ(back->recipients[0].notify, kQueuedNotifySuccess | kQueuedNotifyDelay);
    EXPECT_EQ(back->recipients[0].orcpt, "rfc822;b@x");
    EXPECT_EQ(back->recipients[1].notify, 0U);
    EXPECT_EQ(back->recipients[1].orcpt, "");
}

TEST(QueuedOptions, UnspecifiedOptionsStayEmpty) {
    sm::Envelope session;
    QueuedEnvelope q{"0123456789abcdef", 1, "helo", "127.0.0.1", false, "", {}, 0, {}};
    q.recipients.push_back({"b@x", "u", "/m"});
    copy_session_options(session, q);
    EXPECT_EQ(q.body, "");
    EXPECT_EQ(q.ret, "");
    EXPECT_EQ(q.auth_user, "");
    EXPECT_FALSE(q.declared_size.has_value());
    EXPECT_TRUE(decode_envelope(encode_envelope(q)).has_value());
}

} // namespace
} // namespace smtpd::rt

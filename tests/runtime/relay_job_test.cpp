// plan_relay: where a relay request goes and what is sent, from a parsed smtpd.conf and a queued
// envelope: MX domain or smarthost, TLS policy and verification per scheme and `tls` option,
// HELO name, MAIL FROM (with `mail-from`, never for <>), RCPT paths (an alias's target), the DSN
// options and MAIL parameters passed on, and the refusals (bad index, mixed domains). The relay
// options' tables: relay_tables_test.cpp.
#include "mta/relay_job.hpp"

#include "conf/conf.hpp"
#include "srs/srs.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace smtpd::rt::mta {
namespace {

conf::Action relay_action(std::string const& options) {
    auto parsed = conf::parse_config("action \"relay\" relay " + options +
                                         "\nmatch from local for any action \"relay\"\n",
                                     "smtpd.conf");
    EXPECT_TRUE(parsed.ok()) << (parsed.errors.empty() ? "" : parsed.errors[0].to_string());
    return parsed.config->actions.at(0);
}

QueuedEnvelope envelope() {
    QueuedEnvelope e{"m1", 1, "h", "127.0.0.1", true, "alice@localhost", {}, 0, {}};
    for (char const* a : {"bob@Remote.Example", "carol@remote.example", "dave@other.example"}) {
        QueuedRecipient r{a, "", ""};
        r.method = QueuedRecipient::Method::Relay;
        r.action = "relay";
        e.recipients.push_back(r);
    }
    e.recipients[1].notify = kQueuedNotifySuccess | kQueuedNotifyFailure;
    e.recipients[1].orcpt = "rfc822;carol+40remote.example";
    e.body = kBody8BitMime;
    e.ret = kRetHdrs;
    e.envid = "E1";
    return e;
}

RelayJob plan(std::string const& options, std::vector<std::uint32_t> indexes = {0, 1},
              QueuedEnvelope const& e = envelope()) {
    auto job = plan_relay(relay_action(options), e, indexes, PlanContext{"mail.example", 1234});
    EXPECT_TRUE(job) << job.error().what();
    return job ? std::move(job).value() : RelayJob{};
}

TEST(RelayJob, GoesToTheDomainsMxWithOpportunisticUnverifiedTls) {
    RelayJob const job = plan("");
    EXPECT_FALSE(job.target.smarthost);
    EXPECT_EQ(job.target.name, "remote.example");
    EXPECT_EQ(job.target.port, 25);
    EXPECT_EQ(job.params.tls, sm::ClientTlsPolicy::Opportunistic);
    EXPECT_FALSE(job.verify);
    EXPECT_EQ(job.params.helo, "mail.example");
    EXPECT_EQ(job.indexes, (std::vector<std::uint32_t>{0, 1}));
    EXPECT_EQ(job.message.size, 1234U);
}

TEST(RelayJob, PassesTheEnvelopeOn) {
    RelayJob const job = plan("");
    ASSERT_TRUE(job.message.sender.mailbox);
    EXPECT_EQ(job.message.sender.mailbox->local_part, "alice");
    EXPECT_EQ(job.message.sender.mailbox->domain, "localhost");
    ASSERT_EQ(job.message.recipients.size(), 2U);
    EXPECT_EQ(job.message.recipients[0].path.mailbox->domain, "Remote.Example");
    EXPECT_EQ(job.message.recipients[0].options.notify, 0);
    EXPECT_EQ(job.message.recipients[1].options.notify, sm::kNotifySuccess | sm::kNotifyFailure);
    EXPECT_EQ(job.message.recipients[1].options.orcpt, "rfc822;carol+40remote.example");
    EXPECT_EQ(job.message.mail.body, sm::Body::EightBitMime);
    EXPECT_EQ(job.message.mail.ret, sm::Ret::Headers);
    EXPECT_EQ(job.message.mail.envid, "E1");
}

TEST(RelayJob, SendsToWhatAnAliasMadeOfTheRecipient) {
    QueuedEnvelope e = envelope();
    e.recipients[2].dest = "dave@Remote.example";
    RelayJob const job = plan("", {0, 2}, e);
    ASSERT_EQ(job.message.recipients.size(), 2U);
    EXPECT_EQ(job.message.recipients[1].path.mailbox->local_part, "dave");
    EXPECT_EQ(job.message.recipients[1].path.mailbox->domain, "Remote.example");
}

TEST(RelayJob, TlsOptionRequiresAndVerifiesTowardsMxHosts) {
    EXPECT_EQ(plan("tls").params.tls, sm::ClientTlsPolicy::Required);
    EXPECT_TRUE(plan("tls").verify);
    EXPECT_EQ(plan("tls no-verify").params.tls, sm::ClientTlsPolicy::Required);
    EXPECT_FALSE(plan("tls no-verify").verify);
}

TEST(RelayJob, ASmarthostsSchemeSetsPortTlsAndVerification) {
    struct Case {
        std::string options;
        std::uint16_t port;
        sm::ClientTlsPolicy tls;
        bool implicit;
        bool verify;
    };
    for (auto const& c : std::vector<Case>{
             {"host smtp://relay.example", 25, sm::ClientTlsPolicy::Opportunistic, false, false},
             {"host relay.example:2525", 2525, sm::ClientTlsPolicy::Opportunistic, false, false},
             {"host smtp+tls://relay.example", 25, sm::ClientTlsPolicy::Required, false, true},
             {"host smtp+tls://relay.example tls no-verify", 25, sm::ClientTlsPolicy::Required,
              false, false},
             {"host smtps://relay.example", 465, sm::ClientTlsPolicy::Required, true, true},
             {"host smtp+notls://relay.example", 25, sm::ClientTlsPolicy::None, false, false},
         }) {
        RelayJob const job = plan(c.options);
        EXPECT_TRUE(job.target.smarthost) << c.options;
        EXPECT_EQ(job.target.name, "relay.example") << c.options;
        EXPECT_EQ(job.target.port, c.port) << c.options;
        EXPECT_EQ(job.params.tls, c.tls) << c.options;
        EXPECT_EQ(job.params.implicit_tls, c.implicit) << c.options;
        EXPECT_EQ(job.verify, c.verify) << c.options;
    }
}

TEST(RelayJob, ASmarthostAddressIsALiteralAndItsLabelIsKept) {
    EXPECT_EQ(plan("host 192.0.2.7").target.name, "[192.0.2.7]");
    EXPECT_EQ(plan("host \"[2001:db8::7]:26\"").target.name, "[IPv6:2001:db8::7]");
    auto parsed = conf::parse_config("table secrets { label1 = \"u:p\" }\n"
                                     "action \"relay\" relay host smtp+tls://label1@relay.example "
                                     "auth <secrets>\nmatch from local for any action \"relay\"\n",
                                     "smtpd.conf");
    ASSERT_TRUE(parsed.ok()) << parsed.errors.at(0).to_string();
    auto job = plan_relay(parsed.config->actions.at(0), envelope(), std::vector<std::uint32_t>{0},
                          PlanContext{"h", 1});
    ASSERT_TRUE(job);
    EXPECT_EQ(job.value().target.label, "label1");
}

TEST(RelayJob, HeloMailFromAndBackupMx) {
    RelayJob const job = plan("helo out.example mail-from bounces@example.org backup");
    EXPECT_EQ(job.params.helo, "out.example");
    EXPECT_EQ(job.message.sender.mailbox->local_part, "bounces");
    EXPECT_EQ(job.target.backup_mx, "mail.example");
    EXPECT_EQ(plan("backup mx mx9.example").target.backup_mx, "mx9.example");
    EXPECT_EQ(plan("").target.backup_mx, "");
}

TEST(RelayJob, MailFromReplacesOnlyThePartsItGives) {
    // OpenSMTPD's mta.c: "@domain" keeps the sender's user, a bare user keeps its domain.
    QueuedEnvelope e = envelope();
    e.sender = "alice@origin.example";
    auto const sender = [&](std::string const& options) {
        auto const& mailbox = plan(options, {0}, e).message.sender.mailbox;
        return mailbox ? mailbox->local_part + "@" + mailbox->domain : std::string("<>");
    };
    EXPECT_EQ(sender("mail-from \"@example.com\""), "alice@example.com");
    EXPECT_EQ(sender("mail-from bounces"), "bounces@origin.example");
    EXPECT_EQ(sender("mail-from b@x.example"), "b@x.example");
}

TEST(RelayJob, ANoticeKeepsItsNullSenderWhateverMailFromSays) {
    QueuedEnvelope e = envelope();
    e.sender.clear();
    EXPECT_TRUE(plan("mail-from bounces@example.org", {0}, e).message.sender.is_null());
}

// A forwarded message goes out from an SRS address in the domain it was forwarded from, which
// decodes back to the sender; not without `srs` on the action, nor for a direct recipient.
TEST(RelayJob, SrsRewritesTheSenderOfAForwardedMessage) {
    auto parsed = conf::parse_config("srs key \"secret\"\n"
                                     "action \"relay\" relay srs\n"
                                     "match from local for any action \"relay\"\n",
                                     "smtpd.conf");
    ASSERT_TRUE(parsed.ok()) << parsed.errors.at(0).to_string();
    QueuedEnvelope e = envelope();
    e.sender = "alice@sender.example";
    e.recipients[0].address = "list@ours.example";
    e.recipients[0].dest = "bob@remote.example";
    SysSeconds const now{std::chrono::seconds{1700000000}};
    PlanContext const context{"h", 1, std::string("secret"), now};
    conf::Action const& action = parsed.config->actions.at(0);
    auto forwarded = plan_relay(action, e, std::vector<std::uint32_t>{0}, context);
    ASSERT_TRUE(forwarded);
    auto const& sender = forwarded.value().message.sender.mailbox;
    ASSERT_TRUE(sender);
    EXPECT_TRUE(sender->local_part.starts_with("SRS0=")) << sender->local_part;
    EXPECT_EQ(sender->domain, "ours.example");
    auto const back = srs::reverse(sender->local_part + "@" + sender->domain,
                                   srs::Keys{"secret", std::nullopt}, now);
    ASSERT_TRUE(back) << back.error().what();
    EXPECT_EQ(back.value(), "alice@sender.example");
    // A direct recipient: the sender as it is.
    auto direct = plan_relay(action, e, std::vector<std::uint32_t>{1}, context);
    ASSERT_TRUE(direct);
    EXPECT_EQ(direct.value().message.sender.mailbox->domain, "sender.example");
    // No srs on the action, or no key: as it is.
    auto plain = plan_relay(relay_action(""), e, std::vector<std::uint32_t>{0}, context);
    EXPECT_EQ(plain.value().message.sender.mailbox->local_part, "alice");
    auto keyless = plan_relay(action, e, std::vector<std::uint32_t>{0}, PlanContext{"h", 1});
    EXPECT_EQ(keyless.value().message.sender.mailbox->local_part, "alice");
}

TEST(RelayJob, CountsTheReceivedFieldsOfTheHeaderSectionOnly) {
    EXPECT_EQ(received_count("Received: a\r\n\tfolded\r\nRECEIVED: b\r\nreceived:c\n"
                             "X-Received: no\r\nSubject: x\r\n\r\nReceived: in the body\r\n"),
              3U);
    EXPECT_EQ(received_count(""), 0U);
    EXPECT_EQ(received_count("\r\nReceived: body\r\n"), 0U);
    EXPECT_EQ(received_count("Received"), 0U);
    std::string many;
    for (std::size_t i = 0; i <= kMaxHops; ++i) {
        many += "Received: from hop\r\n";
    }
    EXPECT_EQ(received_count(many), kMaxHops + 1);
}

TEST(RelayJob, RefusesAnIndexOutOfRangeAndMixedDomains) {
    conf::Action const action = relay_action("");
    PlanContext const context{"h", 1};
    EXPECT_FALSE(plan_relay(action, envelope(), std::vector<std::uint32_t>{3}, context));
    EXPECT_FALSE(plan_relay(action, envelope(), std::vector<std::uint32_t>{0, 2}, context));
    EXPECT_FALSE(plan_relay(action, envelope(), std::vector<std::uint32_t>{}, context));
}

} // namespace
} // namespace smtpd::rt::mta

// The lookup role's reverse mapping of SRS recipients (lookup/srs_reverse.hpp) through
// Recipients::resolve: a decoded address that is local is delivered there, one that is remote
// goes to the relay rule even for a remote client; SRS1 chains, the tag's case, the backup key
// and its rotation, and the refusals (forged, expired, malformed) as 550 5.1.1; no mapping
// without an `srs key` or for another site's SRS address.
#include "lookup/srs_reverse.hpp"

#include "conf/conf.hpp"
#include "srs/srs.hpp"

#include "recipients_support.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace smtpd::rt {
namespace {

using Kind = sm::RcptVerdict::Kind;
using testing::FakeSystem;

constexpr SysSeconds kNow{std::chrono::seconds{1796601600}};

// Host mx.example: local mail to mbox, everything else relayed for local senders only.
constexpr std::string_view kConfig = "srs key \"new\"\n"
                                     "srs key backup \"old\"\n"
                                     "action \"local\" mbox\n"
                                     "action \"relay\" relay srs\n"
                                     "match from any for local action \"local\"\n"
                                     "match from local for any action \"relay\"\n";

Recipients resolver(std::string_view text, SysSeconds now = kNow) {
    auto parsed = conf::parse_config(text, "smtpd.conf");
    if (!parsed.ok()) {
        throw std::runtime_error(parsed.errors.at(0).to_string());
    }
    FakeSystem const system;
    RecipientsIo io = system.io();
    io.clock = [now] { return now; };
    auto r = Recipients::create(*parsed.config, "mx.example", io);
    if (!r) {
        throw std::runtime_error(r.error().message);
    }
    return std::move(r).value();
}

/// The SRS address `sender` is rewritten to by this host (mx.example) under `key`.
std::string srs_of(std::string_view sender, std::string_view key = "new") {
    auto r = srs::forward(sender, "mx.example", key, kNow);
    if (!r) {
        throw std::runtime_error(r.error().what());
    }
    return r.value();
}

Resolution resolve_address(Recipients const& r, std::string const& address, bool client_local) {
    auto const at = address.rfind('@');
    return r.resolve(address.substr(0, at), address.substr(at + 1), client_local);
}

// The address the relay would send to: the one relay destination's, or what the reason says.
std::string relayed_to(Resolution const& r) {
    if (r.verdict != Kind::Accepted || r.destinations.size() != 1 ||
        r.destinations[0].method != DeliveryMethod::Relay) {
        return "not relayed: " + r.reason;
    }
    Destination const& d = r.destinations[0];
    return d.dest.empty() ? d.recipient : d.dest;
}

TEST(SrsReverse, ALocalSenderIsDeliveredHere) {
    auto const r = resolver(kConfig);
    std::string const address = srs_of("alice@mx.example");
    Resolution const res = resolve_address(r, address, false);
    ASSERT_EQ(res.verdict, Kind::Accepted) << res.reason;
    ASSERT_EQ(res.destinations.size(), 1U);
    EXPECT_EQ(res.destinations[0].target, "/var/mail/alice");
    EXPECT_EQ(res.destinations[0].recipient, address);
    EXPECT_EQ(res.destinations[0].dest, "alice@mx.example");
}

TEST(SrsReverse, ARemoteSenderIsRelayedEvenForARemoteClient) {
    auto const r = resolver(kConfig);
    // The bounce comes from a remote MTA: it reaches the relay rule through the decoded address,
    // matched as mail from this host (OpenSMTPD's EF_INTERNAL) ...
    EXPECT_EQ(relayed_to(resolve_address(r, srs_of("bob@remote.example"), false)),
              "bob@remote.example");
    // ... which the same client could not reach directly.
    EXPECT_EQ(r.resolve("bob", "remote.example", false).verdict, Kind::RelayDenied);
}

TEST(SrsReverse, Srs1ChainsDecodeHopByHop) {
    auto const r = resolver(kConfig);
    // An SRS0 address of another forwarder, forwarded again by us: back to that forwarder.
    std::string const hop = "SRS0=abcd=J2=example.org=carol@hop.example";
    EXPECT_EQ(relayed_to(resolve_address(r, srs_of(hop), false)), hop);
    // When we were the first hop too, the SRS0 address inside is ours and decodes again.
    std::string const twice = srs_of(srs_of("alice@mx.example"));
    ASSERT_TRUE(twice.starts_with("SRS1="));
    Resolution const res = resolve_address(r, twice, false);
    ASSERT_EQ(res.verdict, Kind::Accepted) << res.reason;
    EXPECT_EQ(res.destinations.at(0).target, "/var/mail/alice");
    EXPECT_EQ(res.destinations.at(0).recipient, twice);
}

TEST(SrsReverse, TheTagIsMatchedWithoutCase) {
    auto const r = resolver(kConfig);
    std::string address = srs_of("alice@mx.example");
    address.replace(0, 4, "srs0");
    EXPECT_EQ(resolve_address(r, address, false).verdict, Kind::Accepted);
}

TEST(SrsReverse, TheBackupKeyIsAcceptedDuringRotation) {
    auto const r = resolver(kConfig);
    EXPECT_EQ(resolve_address(r, srs_of("alice@mx.example", "old"), false).verdict, Kind::Accepted);
    EXPECT_EQ(resolve_address(r, srs_of("alice@mx.example", "new"), false).verdict, Kind::Accepted);
    Resolution const other = resolve_address(r, srs_of("alice@mx.example", "older"), false);
    EXPECT_EQ(other.verdict, Kind::UnknownUser);
    EXPECT_NE(other.reason.find("the hash matches no key"), std::string::npos) << other.reason;
}

TEST(SrsReverse, ForgedExpiredAndMalformedAddressesAreRefusedForGood) {
    std::string forged = srs_of("bob@remote.example");
    forged[5] = forged[5] == 'A' ? 'B' : 'A';
    auto const today = resolver(kConfig);
    Resolution const f = resolve_address(today, forged, false);
    EXPECT_EQ(f.verdict, Kind::UnknownUser);
    EXPECT_NE(f.reason.find("the hash matches no key"), std::string::npos) << f.reason;

    auto const later = resolver(kConfig, kNow + std::chrono::days{5});
    Resolution const e = resolve_address(later, srs_of("bob@remote.example"), false);
    EXPECT_EQ(e.verdict, Kind::UnknownUser);
    EXPECT_NE(e.reason.find("older than the srs ttl of 4 days"), std::string::npos) << e.reason;
    auto const within = resolver(kConfig, kNow + std::chrono::days{4});
    EXPECT_EQ(relayed_to(resolve_address(within, srs_of("bob@remote.example"), false)),
              "bob@remote.example");

    Resolution const m = today.resolve("SRS0=xxxx", "mx.example", true);
    EXPECT_EQ(m.verdict, Kind::UnknownUser);
    EXPECT_EQ(m.reason, "SRS address <SRS0=xxxx@mx.example>: too short for a hash");
}

TEST(SrsReverse, TheTtlComesFromTheConfiguration) {
    std::string const config = std::string(kConfig) + "srs ttl 10d\n";
    auto const later = resolver(config, kNow + std::chrono::days{10});
    EXPECT_EQ(resolve_address(later, srs_of("alice@mx.example"), false).verdict, Kind::Accepted);
    auto const too_late = resolver(config, kNow + std::chrono::days{11});
    EXPECT_EQ(resolve_address(too_late, srs_of("alice@mx.example"), false).verdict,
              Kind::UnknownUser);
}

TEST(SrsReverse, NoMappingWithoutAnSrsKey) {
    auto const r = resolver("action \"local\" mbox\nmatch from any for local action \"local\"\n");
    Resolution const res = resolve_address(r, srs_of("alice@mx.example"), false);
    // An ordinary local part then, and no such user.
    EXPECT_EQ(res.verdict, Kind::UnknownUser);
    EXPECT_EQ(res.reason.find("SRS address"), std::string::npos) << res.reason;
}

TEST(SrsReverse, AnotherSitesSrsAddressIsRelayedUntouched) {
    auto const r = resolver(kConfig);
    // A local sender writing to a forwarder's SRS address: not ours to check.
    std::string const theirs = "SRS0=abcd=J2=example.org=carol@hop.example";
    EXPECT_EQ(relayed_to(resolve_address(r, theirs, true)), theirs);
    EXPECT_FALSE(srs_keys(conf::SrsConfig{}).has_value());
}

} // namespace
} // namespace smtpd::rt

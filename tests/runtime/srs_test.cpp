// The Sender Rewriting Scheme (runtime/srs): known answers computed independently, round trips
// through SRS0 and SRS1, the case rules of OpenSMTPD's srs.c, the backup key, the ttl and its
// wrap at 1024 days, and each refusal (not SRS, malformed, forged, expired, too long).
#include "srs/srs.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace smtpd::rt::srs {
namespace {

using std::chrono::days;

// 2026-12-07T00:00:00Z: day 20794, 314 modulo 1024, "J2" in base32.
constexpr SysSeconds kNow{std::chrono::seconds{1796601600}};
Keys const kKeys{"s3cret", std::nullopt, kDefaultTtl};

std::error_code code_of(Result<std::string> const& r) {
    return r ? std::error_code{} : r.error().code;
}

// The expected values come from Python, independently of this code:
//   h = lambda k, d: base64.urlsafe_b64encode(hashlib.sha1(k + d.encode()).digest())[:4]
//   h(b"s3cret", "J2=example.org=alice@mx.example")                       -> "OIuo"
//   h(b"s3cret", "mx.example==OIuo=J2=example.org=alice@relay.example")   -> "27LG"
//   h(b"other",  "mx.example==OIuo=J2=example.org=alice@third.example")   -> "D9Bg"
// and OpenSMTPD's own srs.c, compiled with a stub env and time(), gives the same addresses.
TEST(SrsKnownAnswer, Srs0MatchesOpenSmtpdsHashAndTimestamp) {
    EXPECT_EQ(timestamp(kNow), 314);
    EXPECT_EQ(hash("s3cret", "J2=example.org=alice@mx.example"), "OIuo");
    auto const r = forward("alice@example.org", "mx.example", "s3cret", kNow);
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_EQ(r.value(), "SRS0=OIuo=J2=example.org=alice@mx.example");
}

TEST(SrsKnownAnswer, Srs0SenderBecomesSrs1AndSrs1KeepsTheFirstHop) {
    auto const srs1 =
        forward("SRS0=OIuo=J2=example.org=alice@mx.example", "relay.example", "s3cret", kNow);
    ASSERT_TRUE(srs1) << srs1.error().what();
    EXPECT_EQ(srs1.value(), "SRS1=27LG=mx.example==OIuo=J2=example.org=alice@relay.example");
    auto const again = forward(srs1.value(), "third.example", "other", kNow);
    ASSERT_TRUE(again) << again.error().what();
    EXPECT_EQ(again.value(), "SRS1=D9Bg=mx.example==OIuo=J2=example.org=alice@third.example");
}

TEST(SrsRoundTrip, Srs0GivesBackTheSender) {
    for (std::string sender : {"alice@example.org", "a=b+c@sub.example.org", "x@[192.0.2.1]"}) {
        auto const srs = forward(sender, "mx.example", "s3cret", kNow);
        ASSERT_TRUE(srs) << srs.error().what();
        auto const back = reverse(srs.value(), kKeys, kNow);
        ASSERT_TRUE(back) << back.error().what();
        EXPECT_EQ(back.value(), sender);
    }
}

TEST(SrsRoundTrip, Srs1GivesBackTheFirstHopsSrs0Address) {
    auto const back =
        reverse("SRS1=27LG=mx.example==OIuo=J2=example.org=alice@relay.example", kKeys, kNow);
    ASSERT_TRUE(back) << back.error().what();
    EXPECT_EQ(back.value(), "SRS0=OIuo=J2=example.org=alice@mx.example");
    // ... which the first hop (same key here) maps back to the sender.
    auto const sender = reverse(back.value(), kKeys, kNow);
    ASSERT_TRUE(sender) << sender.error().what();
    EXPECT_EQ(sender.value(), "alice@example.org");
}

// srs.c compares the tags with strncasecmp, the hash with strncmp and the timestamp against an
// upper-case table: only the tag is free of case.
TEST(SrsCase, TagIsCaseInsensitiveHashAndTimestampAreNot) {
    EXPECT_TRUE(is_srs("srs0=x"));
    EXPECT_TRUE(is_srs("Srs1=x"));
    EXPECT_FALSE(is_srs("SRS2=x"));
    EXPECT_FALSE(is_srs("SRS0"));
    auto const lower = reverse("srs0=OIuo=J2=example.org=alice@mx.example", kKeys, kNow);
    ASSERT_TRUE(lower) << lower.error().what();
    EXPECT_EQ(lower.value(), "alice@example.org");
    EXPECT_EQ(code_of(reverse("SRS0=oiuo=J2=example.org=alice@mx.example", kKeys, kNow)),
              SrsErrc::Forged);
    EXPECT_EQ(code_of(reverse("SRS0=OIuo=j2=example.org=alice@mx.example", kKeys, kNow)),
              SrsErrc::Malformed);
    // The hash covers our domain as written.
    EXPECT_EQ(code_of(reverse("SRS0=OIuo=J2=example.org=alice@MX.example", kKeys, kNow)),
              SrsErrc::Forged);
    // An SRS0 sender written in lower case is still recognised when forwarded.
    auto const srs1 =
        forward("srs0=OIuo=J2=example.org=alice@mx.example", "relay.example", "s3cret", kNow);
    ASSERT_TRUE(srs1);
    EXPECT_EQ(srs1.value(), "SRS1=27LG=mx.example==OIuo=J2=example.org=alice@relay.example");
}

TEST(SrsForged, AnyChangedCharacterIsRefused) {
    std::string const good = "SRS0=OIuo=J2=example.org=alice@mx.example";
    ASSERT_TRUE(reverse(good, kKeys, kNow));
    for (std::size_t i = 5; i < good.size(); ++i) {
        if (good[i] == '=' || good[i] == '@' || i == 10 || i == 11) {
            continue; // separators and timestamp: structure, refused as malformed
        }
        std::string tampered = good;
        tampered[i] = good[i] == 'x' ? 'y' : 'x';
        EXPECT_EQ(code_of(reverse(tampered, kKeys, kNow)), SrsErrc::Forged) << tampered;
    }
    EXPECT_EQ(code_of(reverse(good, Keys{"other", std::nullopt, kDefaultTtl}, kNow)),
              SrsErrc::Forged);
}

TEST(SrsKeys, BackupKeyIsAcceptedDuringRotation) {
    // The old key signed it; the new key is primary and the old one its backup.
    auto const old = forward("alice@example.org", "mx.example", "old", kNow);
    ASSERT_TRUE(old);
    Keys const rotated{"new", "old", kDefaultTtl};
    auto const back = reverse(old.value(), rotated, kNow);
    ASSERT_TRUE(back) << back.error().what();
    EXPECT_EQ(back.value(), "alice@example.org");
    // New addresses are signed with the new key only.
    auto const fresh = forward("alice@example.org", "mx.example", rotated.key, kNow);
    ASSERT_TRUE(fresh);
    EXPECT_NE(fresh.value(), old.value());
    EXPECT_TRUE(reverse(fresh.value(), rotated, kNow));
    // Once the backup is dropped, the old addresses no longer check.
    EXPECT_EQ(code_of(reverse(old.value(), Keys{"new", std::nullopt, kDefaultTtl}, kNow)),
              SrsErrc::Forged);
    EXPECT_EQ(code_of(reverse(old.value(), Keys{"new", "older", kDefaultTtl}, kNow)),
              SrsErrc::Forged);
}

TEST(SrsTtl, AcceptsUpToTtlDaysOldAndOneDayAhead) {
    auto const made = forward("alice@example.org", "mx.example", "s3cret", kNow);
    ASSERT_TRUE(made);
    for (int d : {0, 1, 2, 3, 4}) {
        EXPECT_TRUE(reverse(made.value(), kKeys, kNow + days{d})) << d;
    }
    EXPECT_EQ(code_of(reverse(made.value(), kKeys, kNow + days{5})), SrsErrc::Expired);
    EXPECT_EQ(code_of(reverse(made.value(), kKeys, kNow + days{500})), SrsErrc::Expired);
    EXPECT_TRUE(reverse(made.value(), kKeys, kNow - days{1})); // the forwarder's clock ahead
    EXPECT_EQ(code_of(reverse(made.value(), kKeys, kNow - days{2})), SrsErrc::Expired);
    Keys const longer{"s3cret", std::nullopt, days{30}};
    EXPECT_TRUE(reverse(made.value(), longer, kNow + days{30}));
    EXPECT_EQ(code_of(reverse(made.value(), longer, kNow + days{31})), SrsErrc::Expired);
}

TEST(SrsTtl, TimestampWrapsAt1024Days) {
    // Day 1023 (modulo 1024): an address made then is one day old on day 0 of the next cycle.
    SysSeconds const last = kNow + days{1023 - 314};
    EXPECT_EQ(timestamp(last), 1023);
    EXPECT_EQ(timestamp(last + days{1}), 0);
    auto const made = forward("alice@example.org", "mx.example", "s3cret", last);
    ASSERT_TRUE(made);
    EXPECT_TRUE(reverse(made.value(), kKeys, last + days{4}));
    EXPECT_EQ(code_of(reverse(made.value(), kKeys, last + days{5})), SrsErrc::Expired);
}

TEST(SrsTtl, Srs1UsesTheInnerSrs0Timestamp) {
    std::string const srs1 = "SRS1=27LG=mx.example==OIuo=J2=example.org=alice@relay.example";
    EXPECT_TRUE(reverse(srs1, kKeys, kNow + days{4}));
    EXPECT_EQ(code_of(reverse(srs1, kKeys, kNow + days{5})), SrsErrc::Expired);
}

TEST(SrsMalformed, EachRefusalHasItsOwnCode) {
    EXPECT_EQ(code_of(reverse("alice@mx.example", kKeys, kNow)), SrsErrc::NotSrs);
    EXPECT_EQ(code_of(reverse("", kKeys, kNow)), SrsErrc::NotSrs);
    for (char const* bad :
         {"SRS0=", "SRS0=OIuo=J2=example.org=alice", "SRS0=OIuo@mx.example",
          "SRS0=OIuo=@mx.example", "SRS0=OIuo=J2@mx.example", "SRS0=OIuo=J2=@mx.example",
          "SRS0=OIuo=J2=example.org@mx.example", "SRS0=OIuo=J2==alice@mx.example",
          "SRS0=OIuo=J2=example.org=@mx.example", "SRS0=OIuo=J2xexample.org=alice@mx.example",
          "SRS0=OIuo=1A=example.org=alice@mx.example", "SRS0=OIuoxJ2=example.org=alice@mx.example",
          "SRS1=27LG=@relay.example", "SRS1=27LG==OIuo=J2=example.org=alice@relay.example",
          "SRS1=27LG=mx.example@relay.example", "SRS1=27LG=mx.example=xOIuo=J2=a=b@r.example",
          "SRS1=27LG=mx.example==OIuo=J@relay.example",
          "SRS1=27LG=mx.example==OIuo=J2xexample@relay.example"}) {
        EXPECT_EQ(code_of(reverse(bad, kKeys, kNow)), SrsErrc::Malformed) << bad;
    }
}

TEST(SrsForward, RefusesWhatCannotBeRewritten) {
    for (char const* bad : {"", "alice", "@example.org", "alice@", "\"a b\"@example.org",
                            "SRS1=abc@x.example", "SRS1=OIuo=@x.example", "a@x=y.example"}) {
        EXPECT_EQ(code_of(forward(bad, "mx.example", "s3cret", kNow)), SrsErrc::Malformed) << bad;
    }
    EXPECT_EQ(code_of(forward("alice@example.org", "", "s3cret", kNow)), SrsErrc::Malformed);
    EXPECT_EQ(code_of(forward("alice@example.org", "a@mx.example", "s3cret", kNow)),
              SrsErrc::Malformed);
    // RFC 5321 §4.5.3.1.1: a local part over 64 octets would not be accepted back.
    std::string const long_local(64 - 13 - 11 - 1, 'a'); // "SRS0=HHHH=TT=" "example.org" "="
    EXPECT_TRUE(forward(long_local + "@example.org", "mx.example", "s3cret", kNow));
    EXPECT_EQ(code_of(forward(long_local + "a@example.org", "mx.example", "s3cret", kNow)),
              SrsErrc::TooLong);
    std::string const long_domain(250, 'd');
    EXPECT_EQ(code_of(forward("a@b", long_domain, "s3cret", kNow)), SrsErrc::TooLong);
}

TEST(SrsErrors, FailuresCarryASentenceNamingTheAddress) {
    auto const r = reverse("SRS0=xxxx=J2=example.org=alice@mx.example", kKeys, kNow);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code.category().name(), std::string("smtpd.srs"));
    EXPECT_EQ(r.error().what(),
              "SRS address <SRS0=xxxx=J2=example.org=alice@mx.example>: the hash matches no key");
}

} // namespace
} // namespace smtpd::rt::srs

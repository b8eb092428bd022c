// The client's reply assembler (client_reply.hpp) and wire helpers (dot_stuff, base64_encode,
// parse_offer): replies re-assembled split at every byte offset are the same (Beast's
// parsegrind); over-long lines, endless and 101-line replies, garbage and mixed codes are errors
// found at their limit, and each ends a session cleanly (the CVE-2020-8794 class).
#include "client_wire.hpp"
#include "smtpd/grammar/limits.hpp"

#include <gtest/gtest.h>

namespace smtpd::sm {
namespace {

using testing::ClientWire;

constexpr std::string_view kDialogue = "220 mx.example ESMTP ready\r\n"
                                       "250-mx.example\r\n"
                                       "250-PIPELINING\r\n"
                                       "250-SIZE 35882577\r\n"
                                       "250-AUTH PLAIN LOGIN\r\n"
                                       "250 ENHANCEDSTATUSCODES\r\n"
                                       "250 2.1.0 Ok\r\n"
                                       "550-5.1.1 no such user\r\n"
                                       "550 5.1.1 really\r\n"
                                       "354 go\r\n"
                                       "250 2.0.0 Ok\r\n"
                                       "221 2.0.0 Bye\r\n";

std::vector<ClientReplyResult> split_at(std::string_view bytes, std::size_t cut) {
    ClientReplyAssembler a;
    std::vector<ClientReplyResult> out;
    for (std::string_view part : {bytes.substr(0, cut), bytes.substr(cut)}) {
        while (!part.empty()) {
            part.remove_prefix(a.feed(part));
            if (auto r = a.take()) {
                out.push_back(std::move(*r));
            }
        }
    }
    return out;
}

TEST(ClientReplyAssembler, SplitAtEveryOffsetGivesTheSameReplies) {
    auto const whole = assemble_replies(kDialogue);
    ASSERT_EQ(whole.size(), 7U);
    for (auto const& r : whole) {
        EXPECT_TRUE(std::holds_alternative<grammar::Reply>(r));
    }
    auto const& ehlo = std::get<grammar::Reply>(whole[1]);
    EXPECT_EQ(ehlo.lines.size(), 5U);
    EXPECT_EQ(std::get<grammar::Reply>(whole[3]).enhanced, (grammar::EnhancedCode{5, 1, 1}));
    for (std::size_t cut = 0; cut <= kDialogue.size(); ++cut) {
        EXPECT_EQ(split_at(kDialogue, cut), whole) << "cut at " << cut;
    }
}

TEST(ClientReplyAssembler, ByteAtATimeGivesTheSameReplies) {
    ClientReplyAssembler a;
    std::vector<ClientReplyResult> out;
    for (char c : kDialogue) {
        EXPECT_EQ(a.feed(std::string_view(&c, 1)), 1U);
        if (auto r = a.take()) {
            out.push_back(std::move(*r));
        }
    }
    EXPECT_EQ(out, assemble_replies(kDialogue));
}

TEST(ClientReplyAssembler, StopsAtTheEndOfEachReply) {
    ClientReplyAssembler a;
    EXPECT_EQ(a.feed("250 a\r\n250 b\r\n"), 7U);
    EXPECT_EQ(a.feed("250 b\r\n"), 0U); // the first reply is not taken yet
    EXPECT_TRUE(a.take().has_value());
    EXPECT_FALSE(a.take().has_value());
}

ClientReplyError error_of(std::string const& bytes) {
    auto const r = assemble_replies(bytes);
    EXPECT_FALSE(r.empty());
    if (r.empty() || !std::holds_alternative<ClientReplyError>(r.back())) {
        ADD_FAILURE() << "no error for " << bytes.substr(0, 40);
        return ClientReplyError::Malformed;
    }
    return std::get<ClientReplyError>(r.back());
}

// Postfix's smtp-sink ends its EHLO reply with "250 " and no text; it is read as "250".
TEST(ClientReplyAssembler, TakesALastLineOfACodeAndASpaceAlone) {
    auto const r = assemble_replies("250-sink.example\r\n250-PIPELINING\r\n250 \r\n220 \r\n");
    ASSERT_EQ(r.size(), 2U);
    ASSERT_TRUE(std::holds_alternative<grammar::Reply>(r[0]));
    EXPECT_EQ(std::get<grammar::Reply>(r[0]).code, 250);
    EXPECT_EQ(std::get<grammar::Reply>(r[0]).lines.size(), 3U);
    ASSERT_TRUE(std::holds_alternative<grammar::Reply>(r[1]));
    EXPECT_EQ(std::get<grammar::Reply>(r[1]).code, 220);
    EXPECT_EQ(error_of("25 \r\n"), ClientReplyError::Malformed);
}

TEST(ClientReplyAssembler, OverLongLineIsRefusedAtItsLimit) {
    ClientReplyAssembler a;
    std::string const endless(1 << 20, 'x');
    EXPECT_EQ(a.feed("250 " + endless), (1U << 20) + 4); // consumed, not stored
    EXPECT_TRUE(a.failed());
    EXPECT_EQ(a.take(), ClientReplyResult{ClientReplyError::LineTooLong});
    std::string const at_limit = "250 " + std::string(grammar::kMaxReplyLine - 6, 'x') + "\r\n";
    EXPECT_TRUE(std::holds_alternative<grammar::Reply>(assemble_replies(at_limit).at(0)));
    EXPECT_EQ(error_of("250 " + std::string(grammar::kMaxReplyLine - 5, 'x') + "\r\n"),
              ClientReplyError::LineTooLong);
}

std::string lines(std::size_t continuation, bool last) {
    std::string out;
    for (std::size_t i = 0; i < continuation; ++i) {
        out += "250-line\r\n";
    }
    return last ? out + "250 end\r\n" : out;
}

TEST(ClientReplyAssembler, ReplyLineCountIsBounded) {
    EXPECT_TRUE(std::holds_alternative<grammar::Reply>(
        assemble_replies(lines(grammar::kMaxReplyLines - 1, true)).at(0)));
    EXPECT_EQ(error_of(lines(grammar::kMaxReplyLines, true)), ClientReplyError::TooManyLines);
    EXPECT_EQ(error_of(lines(100000, false)), ClientReplyError::TooManyLines); // endless
}

TEST(ClientReplyAssembler, GarbageAndMixedCodesAreErrors) {
    EXPECT_EQ(error_of("2\r\n"), ClientReplyError::Malformed);
    EXPECT_EQ(error_of("hello\r\n"), ClientReplyError::Malformed);
    EXPECT_EQ(error_of("199 too low\r\n"), ClientReplyError::Malformed);
    EXPECT_EQ(error_of("250 bad\x01text\r\n"), ClientReplyError::Malformed);
    EXPECT_EQ(error_of("250-a\r\n550 b\r\n"), ClientReplyError::MixedCodes);
    EXPECT_EQ(error_of("250-a\r\n550-b\r\n" + lines(200, false)), ClientReplyError::MixedCodes);
}

// A reply whose lines end in a bare LF (or hold a bare CR) is refused at that byte: before, it
// was one unfinished line that waited for the 5-minute command time-out.
TEST(Regression, Issue14BareLineEndsInRepliesAreRefusedAtOnce) {
    EXPECT_EQ(error_of("250-mx.example\n250 Ok\n"), ClientReplyError::Malformed);
    EXPECT_EQ(error_of("250 Ok\n"), ClientReplyError::Malformed);
    EXPECT_EQ(error_of("250 O\rk\r\n"), ClientReplyError::Malformed);
    EXPECT_EQ(error_of("250-a\r\n250 b\r\r\n"), ClientReplyError::Malformed);
    ClientReplyAssembler a;
    EXPECT_EQ(a.feed("250 Ok\r"), 7U); // a CR alone may still be followed by its LF
    EXPECT_FALSE(a.failed());
    EXPECT_EQ(a.feed("\n"), 1U);
    EXPECT_TRUE(std::holds_alternative<grammar::Reply>(*a.take()));
}

/// Server bytes that end any session at its greeting, mid-EHLO or mid-transaction.
void expect_clean_end(std::string const& prefix, std::string const& bad) {
    ClientWire w(testing::client_params(), testing::client_message({"b", "c"}));
    w.server(prefix + bad + "250 ignored\r\n");
    EXPECT_EQ(w.session.state, ClientState::Closed) << bad.substr(0, 30);
    EXPECT_TRUE(w.closed);
    ASSERT_TRUE(w.done.has_value());
    EXPECT_EQ(w.done->temp_failed, 2U);
    EXPECT_EQ(w.results.size(), 2U);
    EXPECT_FALSE(w.unexpected);
}

TEST(ClientReplyAssembler, BadRepliesEndTheSessionCleanly) {
    std::string const to_mail = "220 mx\r\n250 mx\r\n";
    for (std::string const& prefix : {std::string(), std::string("220 mx\r\n"), to_mail}) {
        expect_clean_end(prefix, std::string(5000, 'A'));
        expect_clean_end(prefix, lines(100000, false));
        expect_clean_end(prefix, lines(100, true));
        expect_clean_end(prefix, "2\r\n");
        expect_clean_end(prefix, "garbage\r\n");
        expect_clean_end(prefix, "250-a\r\n354 b\r\n");
        expect_clean_end(prefix, "250-a\n250 b\n");
    }
}

TEST(DotStuff, DoublesLeadingDotsAndTerminates) {
    EXPECT_EQ(dot_stuff(""), ".\r\n");
    EXPECT_EQ(dot_stuff("a\r\n"), "a\r\n.\r\n");
    EXPECT_EQ(dot_stuff("a"), "a\r\n.\r\n");
    EXPECT_EQ(dot_stuff(".\r\n"), "..\r\n.\r\n");
    EXPECT_EQ(dot_stuff("a\r\n.b\r\n..c\r\nd.e\r\n"), "a\r\n..b\r\n...c\r\nd.e\r\n.\r\n");
    EXPECT_EQ(dot_stuff(".a"), "..a\r\n.\r\n");
}

// CVE-2023-51764 class: no bare LF or CR reaches a server that might read "\n.\r\n" as the end.
TEST(DotStuff, BareLineEndsBecomeCrlf) {
    EXPECT_EQ(dot_stuff("a\n.\r\nb"), "a\r\n..\r\nb\r\n.\r\n");
    EXPECT_EQ(dot_stuff("a\r.\rb"), "a\r\n..\r\nb\r\n.\r\n");
    EXPECT_EQ(dot_stuff("a\n\n"), "a\r\n\r\n.\r\n");
}

TEST(Base64, EncodesRfc4648Vectors) {
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
    EXPECT_EQ(base64_encode(std::string("\0user\0pass", 10)), "AHVzZXIAcGFzcw==");
}

TEST(ClientOffer, ReadsTheEhloKeywords) {
    grammar::Reply const r{250,
                           std::nullopt,
                           {"mx.example greets you", "pipelining", "SIZE 1000", "8BITMIME",
                            "SMTPUTF8", "DSN", "CHUNKING", "STARTTLS", "AUTH LOGIN plain",
                            "ENHANCEDSTATUSCODES", "X-UNKNOWN 1", "SIZE"}};
    ClientOffer const o = parse_offer(r);
    using grammar::Extension;
    for (auto e : {Extension::Pipelining, Extension::Size, Extension::EightBitMime,
                   Extension::SmtpUtf8, Extension::Dsn, Extension::Chunking, Extension::StartTls,
                   Extension::Auth, Extension::EnhancedStatusCodes}) {
        EXPECT_TRUE(o.extensions.has(e)) << grammar::extension_keyword(e);
    }
    EXPECT_EQ(o.size_limit, 0U); // the last SIZE line, without a number, wins
    EXPECT_TRUE(o.auth_plain);
    EXPECT_TRUE(o.auth_login);
    EXPECT_TRUE(parse_offer(grammar::Reply{250, std::nullopt, {"STARTTLS"}}).extensions.empty());
}

} // namespace
} // namespace smtpd::sm

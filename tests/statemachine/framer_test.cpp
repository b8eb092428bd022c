// Framer unit tests: CRLF framing, the command-line limit, dot-unstuffing, the end of DATA, and
// the SMTP smuggling inputs of 2023 (bare LF / bare CR variants of the terminator).
#include "frames.hpp"

#include <gtest/gtest.h>

namespace smtpd::sm {
namespace {

using testing::frames_split;
using testing::frames_whole;

std::string body_of(std::vector<Frame> const& frames) {
    std::string body;
    for (auto const& f : frames) {
        if (auto const* c = std::get_if<DataChunkFrame>(&f)) {
            body += c->bytes;
        }
    }
    return body;
}

bool has_data_end(std::vector<Frame> const& frames) {
    for (auto const& f : frames) {
        if (std::holds_alternative<DataEndFrame>(f)) {
            return true;
        }
    }
    return false;
}

TEST(Framer, SplitsCommandLinesAtCrlf) {
    auto const frames = frames_whole("HELO a\r\nNOOP\r\n");
    ASSERT_EQ(frames.size(), 2U);
    EXPECT_EQ(std::get<LineFrame>(frames[0]).text, "HELO a");
    EXPECT_EQ(std::get<LineFrame>(frames[1]).text, "NOOP");
}

TEST(Framer, WaitsForCrlfBeforeReturningALine) {
    EXPECT_TRUE(frames_whole("NOOP").empty());
    EXPECT_TRUE(frames_whole("NOOP\r").empty());
}

TEST(Framer, BareLfDoesNotEndACommandLine) {
    auto const frames = frames_whole("NOOP\nQUIT\r\n");
    ASSERT_EQ(frames.size(), 1U);
    EXPECT_EQ(std::get<LineFrame>(frames[0]).text, "NOOP\nQUIT");
}

TEST(Framer, AcceptsACommandLineOfExactly512Octets) {
    std::string const line = std::string(510, 'a') + "\r\n";
    auto const frames = frames_whole(line);
    ASSERT_EQ(frames.size(), 1U);
    EXPECT_EQ(std::get<LineFrame>(frames[0]).text.size(), 510U);
}

TEST(Framer, ReportsA513OctetCommandLineAsTooLong) {
    auto const frames = frames_whole(std::string(511, 'a') + "\r\nNOOP\r\n");
    ASSERT_EQ(frames.size(), 2U);
    EXPECT_TRUE(std::holds_alternative<LineTooLongFrame>(frames[0]));
    EXPECT_EQ(std::get<LineFrame>(frames[1]).text, "NOOP");
}

TEST(Framer, DiscardsAHugeLineWithoutBufferingIt) {
    Framer framer(512, 1000);
    for (int i = 0; i < 100; ++i) {
        framer.push(std::string(10000, 'x'));
        EXPECT_FALSE(framer.next().has_value());
        EXPECT_LE(framer.buffered(), 1U);
    }
    framer.push("\r\nQUIT\r\n");
    EXPECT_TRUE(std::holds_alternative<LineTooLongFrame>(*framer.next()));
    EXPECT_EQ(std::get<LineFrame>(*framer.next()).text, "QUIT");
}

TEST(Framer, EndsDataOnlyAtCrlfDotCrlf) {
    auto const frames = frames_whole("DATA\r\nline 1\r\nline 2\r\n.\r\nQUIT\r\n");
    ASSERT_EQ(frames.size(), 4U);
    EXPECT_EQ(body_of(frames), "line 1\r\nline 2\r\n");
    EXPECT_TRUE(std::holds_alternative<DataEndFrame>(frames[2]));
    EXPECT_EQ(std::get<LineFrame>(frames[3]).text, "QUIT");
}

TEST(Framer, EmptyMessageEndsAtDotRightAfterData) {
    auto const frames = frames_whole("DATA\r\n.\r\n");
    ASSERT_EQ(frames.size(), 2U);
    EXPECT_EQ(std::get<DataEndFrame>(frames[1]).octets, 0U);
}

TEST(Framer, RemovesTheStuffedDot) {
    auto const frames = frames_whole("DATA\r\n..leading\r\n.\r\n..\r\n.\r\n");
    EXPECT_EQ(body_of(frames), ".leading\r\n");
    auto const second = frames_whole("DATA\r\n..\r\n.\r\n");
    EXPECT_EQ(body_of(second), ".\r\n");
}

TEST(Framer, DotInsideALineIsKept) {
    EXPECT_EQ(body_of(frames_whole("DATA\r\na.b\r\n .\r\n.\r\n")), "a.b\r\n .\r\n");
}

// The SMTP smuggling inputs (2023): none of these may end DATA.
TEST(Regression, SmugglingBareLfDotBareLfNeverEndsData) {
    auto const frames = frames_whole("DATA\r\nx\n.\nMAIL FROM:<a@b>\r\n");
    EXPECT_FALSE(has_data_end(frames));
    EXPECT_EQ(body_of(frames), "x\n.\nMAIL FROM:<a@b>\r\n");
}

TEST(Regression, SmugglingBareCrDotCrlfNeverEndsData) {
    EXPECT_FALSE(has_data_end(frames_whole("DATA\r\nx\r.\r\nRSET\r\n")));
}

TEST(Regression, SmugglingBareLfDotCrlfNeverEndsData) {
    EXPECT_FALSE(has_data_end(frames_whole("DATA\r\nx\n.\r\nRSET\r\n")));
}

TEST(Regression, SmugglingCrlfDotBareLfNeverEndsData) {
    auto const frames = frames_whole("DATA\r\nx\r\n.\nRSET\r\n");
    EXPECT_FALSE(has_data_end(frames));
    // The dot at the start of ".\nRSET" is a stuffed dot and is removed.
    EXPECT_EQ(body_of(frames), "x\r\n\nRSET\r\n");
}

TEST(Regression, SmugglingNulDotNeverEndsData) {
    using namespace std::string_literals;
    EXPECT_FALSE(has_data_end(frames_whole("DATA\r\nx\r\n.\0\r\nRSET\r\n"s)));
}

TEST(Framer, FlagsATextLineOver1000Octets) {
    std::string const ok = "DATA\r\n" + std::string(998, 'a') + "\r\n.\r\n";
    EXPECT_FALSE(std::get<DataEndFrame>(frames_whole(ok).back()).line_too_long);
    std::string const bad = "DATA\r\n" + std::string(999, 'a') + "\r\n.\r\n";
    auto const frames = frames_whole(bad);
    EXPECT_TRUE(std::get<DataEndFrame>(frames.back()).line_too_long);
    EXPECT_EQ(body_of(frames), std::string(999, 'a') + "\r\n");
}

// RFC 5321 §4.5.3.1.6: "not counting the leading dot duplicated for transparency": a 998-octet
// line that starts with a dot is 999 octets on the wire, and allowed (our own client sends such a
// line stuffed when it came in by BDAT).
TEST(Regression, Issue14TheStuffedDotDoesNotCountTowardsTheLineLimit) {
    std::string const ok = "DATA\r\n.." + std::string(997, 'a') + "\r\n.\r\n";
    auto const frames = frames_whole(ok);
    EXPECT_FALSE(std::get<DataEndFrame>(frames.back()).line_too_long);
    EXPECT_EQ(body_of(frames), "." + std::string(997, 'a') + "\r\n");
    std::string const bad = "DATA\r\n.." + std::string(998, 'a') + "\r\n.\r\n";
    EXPECT_TRUE(std::get<DataEndFrame>(frames_whole(bad).back()).line_too_long);
}

TEST(Framer, DiscardBufferedDropsPipelinedBytes) {
    Framer framer(512, 1000);
    framer.push("STARTTLS\r\nMAIL FROM:<evil@x>\r\n");
    EXPECT_EQ(std::get<LineFrame>(*framer.next()).text, "STARTTLS");
    framer.discard_buffered();
    EXPECT_FALSE(framer.next().has_value());
    EXPECT_EQ(framer.buffered(), 0U);
}

TEST(Framer, SameFramesAtEverySplitPoint) {
    std::string const stream =
        "EHLO x\r\nMAIL FROM:<a@b>\r\nDATA\r\n..a\r\nb\r\r\n\n.\r\r\n.\r\nQUIT\r\n";
    auto const whole = frames_whole(stream);
    for (std::size_t i = 0; i <= stream.size(); ++i) {
        for (std::size_t j = i; j <= stream.size(); j += 3) {
            EXPECT_EQ(frames_split(stream, {i, j - i}), whole) << "split at " << i << "," << j;
        }
    }
}

} // namespace
} // namespace smtpd::sm

// The streaming body encoder (body_encoder.hpp) against its whole-string oracle dot_stuff():
// for every content and every split into pieces, the DATA output is dot_stuff(content), and the
// BDAT chunks' payloads put together are the same lines without the dot-stuffing and the "."
// (RFC 5321 §4.5.2, RFC 3030 §2); no bare CR or LF ever goes out; the BDAT count is what the
// encoder says it framed.
#include "smtpd/sm/body_encoder.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <charconv>

namespace smtpd::sm {
namespace {

/// The content encoded in pieces cut at `cuts` (offsets, any order, clamped).
std::string encode(BodyFraming framing, std::string_view content, std::vector<std::size_t> cuts,
                   std::size_t* commands = nullptr) {
    std::sort(cuts.begin(), cuts.end());
    BodyEncoder encoder(framing);
    std::string out;
    std::size_t at = 0;
    for (std::size_t cut : cuts) {
        cut = std::min(cut, content.size());
        if (cut >= at) {
            out += encoder.encode(content.substr(at, cut - at));
            at = cut;
        }
    }
    out += encoder.encode(content.substr(at));
    out += encoder.finish();
    if (commands != nullptr) {
        *commands = encoder.bdat_commands();
    }
    return out;
}

/// The oracle for BDAT: dot_stuff's lines, each leading "." undoubled, without the final ".".
std::string unstuffed(std::string_view content) {
    std::string const stuffed = dot_stuff(content);
    std::string out;
    std::size_t at = 0;
    while (at < stuffed.size()) {
        std::size_t const end = stuffed.find("\r\n", at) + 2;
        std::string_view line(stuffed.data() + at, end - at);
        at = end;
        if (line == ".\r\n" && at == stuffed.size()) {
            break;
        }
        out += line.front() == '.' ? line.substr(1) : line;
    }
    return out;
}

/// BDAT chunks parsed back: their payloads joined; false if the framing is wrong.
bool parse_bdat(std::string_view wire, std::string& payload, std::size_t& commands) {
    bool last = false;
    while (!wire.empty()) {
        if (last || wire.substr(0, 5) != "BDAT ") {
            return false;
        }
        std::size_t const eol = wire.find("\r\n");
        std::string_view const line = wire.substr(5, eol - 5);
        std::size_t n = 0;
        auto const [end, ec] = std::from_chars(line.data(), line.data() + line.size(), n);
        std::string_view const rest(end, static_cast<std::size_t>(line.data() + line.size() - end));
        if (ec != std::errc{} || (rest != "" && rest != " LAST")) {
            return false;
        }
        last = rest == " LAST";
        wire.remove_prefix(eol + 2);
        payload += wire.substr(0, n);
        wire.remove_prefix(std::min(n, wire.size()));
        ++commands;
    }
    return last;
}

bool no_bare_cr_or_lf(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if ((s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n')) ||
            (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))) {
            return false;
        }
    }
    return true;
}

rc::Gen<std::string> content() {
    return rc::gen::container<std::string>(
        rc::gen::weightedElement<char>({{4, 'a'}, {3, '.'}, {3, '\r'}, {3, '\n'}, {1, '\0'}}));
}

RC_GTEST_PROP(BodyEncoderProps, DataOutputIsDotStuffForEverySplit, ()) {
    std::string const c = *content();
    auto const cuts = *rc::gen::container<std::vector<std::size_t>>(
        rc::gen::inRange<std::size_t>(0, c.size() + 1));
    std::string const out = encode(BodyFraming::Dot, c, cuts);
    RC_ASSERT(out == dot_stuff(c));
    RC_ASSERT(no_bare_cr_or_lf(out));
}

RC_GTEST_PROP(BodyEncoderProps, BdatChunksCarryTheUnstuffedLinesForEverySplit, ()) {
    std::string const c = *content();
    auto const cuts = *rc::gen::container<std::vector<std::size_t>>(
        rc::gen::inRange<std::size_t>(0, c.size() + 1));
    std::size_t commands = 0;
    std::string const out = encode(BodyFraming::Bdat, c, cuts, &commands);
    std::string payload;
    std::size_t parsed = 0;
    RC_ASSERT(parse_bdat(out, payload, parsed));
    RC_ASSERT(payload == unstuffed(c));
    RC_ASSERT(no_bare_cr_or_lf(payload));
    RC_ASSERT(parsed == commands);
}

TEST(BodyEncoder, EveryTwoWaySplitOfTheSmugglingEndingsIsDotStuff) {
    using namespace std::string_literals;
    std::string const c = "a\n.\nb\r.\rc\r\n.\rd\n.\r\ne.\0.\r\n"s;
    for (std::size_t at = 0; at <= c.size(); ++at) {
        EXPECT_EQ(encode(BodyFraming::Dot, c, {at}), dot_stuff(c)) << "split at " << at;
    }
    EXPECT_EQ(dot_stuff("a\n.\nb"), "a\r\n..\r\nb\r\n.\r\n");
}

TEST(BodyEncoder, BdatFramesOnePieceAsOneLastChunk) {
    std::size_t commands = 0;
    EXPECT_EQ(encode(BodyFraming::Bdat, "x\n.y", {}, &commands), "BDAT 7 LAST\r\nx\r\n.y\r\n");
    EXPECT_EQ(commands, 1U);
    EXPECT_EQ(encode(BodyFraming::Bdat, "", {}, &commands), "BDAT 0 LAST\r\n");
    EXPECT_EQ(encode(BodyFraming::Bdat, "ab\r\n", {2}, &commands),
              "BDAT 2\r\nabBDAT 2 LAST\r\n\r\n");
    EXPECT_EQ(commands, 2U);
}

} // namespace
} // namespace smtpd::sm

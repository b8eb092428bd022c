// FrameReader: frames come out whole however the stream is split (every byte offset, every
// chunking), and a hostile length field is refused as soon as its four bytes are in.
#include "ipc/error.hpp"
#include "ipc/frame_reader.hpp"
#include "ipc_test_support.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <vector>

namespace smtpd::ipc {
namespace {

using Frame = std::vector<std::byte>;

// Drains every whole frame; stops at the first error (counted in `errors`).
void drain(FrameReader& reader, std::vector<Frame>& out, int& errors) {
    while (true) {
        auto next = reader.next();
        if (!next) {
            ++errors;
            return;
        }
        if (!next.value()) {
            return;
        }
        out.push_back(std::move(*next.value()));
    }
}

std::vector<Frame> sample_frames() {
    return {encode(LookupRecipient{1, "alice", "example.org", false}).value(),
            encode(Shutdown{}).value(),
            encode(ControlReply{9, true, {"a", "bc", ""}}, true).value()};
}

Frame concat(std::vector<Frame> const& frames) {
    Frame all;
    for (auto const& f : frames) {
        all.insert(all.end(), f.begin(), f.end());
    }
    return all;
}

TEST(IpcFrameReader, SplitAtEveryByteOffsetGivesTheSameFrames) {
    auto const frames = sample_frames();
    auto const stream = concat(frames);
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        FrameReader reader;
        std::vector<Frame> out;
        int errors = 0;
        reader.feed(std::span(stream).first(cut));
        drain(reader, out, errors);
        reader.feed(std::span(stream).subspan(cut));
        drain(reader, out, errors);
        EXPECT_EQ(errors, 0) << cut;
        EXPECT_EQ(out, frames) << cut;
        EXPECT_EQ(reader.buffered(), 0U) << cut;
    }
}

TEST(IpcFrameReader, OneByteAtATimeGivesTheSameFrames) {
    auto const frames = sample_frames();
    auto const stream = concat(frames);
    FrameReader reader;
    std::vector<Frame> out;
    int errors = 0;
    for (std::byte b : stream) {
        reader.feed(std::span(&b, 1));
        drain(reader, out, errors);
    }
    EXPECT_EQ(errors, 0);
    EXPECT_EQ(out, frames);
}

RC_GTEST_PROP(IpcFrameReaderProps, AnyChunkingGivesTheSameFrames, ()) {
    auto const messages = *rc::gen::container<std::vector<Message>>(testing::any_message_gen());
    std::vector<Frame> frames;
    frames.reserve(messages.size());
    for (auto const& m : messages) {
        frames.push_back(encode(m).value());
    }
    auto const stream = concat(frames);
    FrameReader reader;
    std::vector<Frame> out;
    int errors = 0;
    std::size_t at = 0;
    while (at < stream.size()) {
        auto const n = *rc::gen::inRange<std::size_t>(1, stream.size() - at + 1);
        reader.feed(std::span(stream).subspan(at, n));
        drain(reader, out, errors);
        at += n;
    }
    RC_ASSERT(errors == 0);
    RC_ASSERT(out == frames);
}

TEST(IpcFrameReader, PartialFrameNeedsMore) {
    auto const frame = encode(MessageCreate{3}).value();
    FrameReader reader;
    reader.feed(std::span(frame).first(frame.size() - 1));
    auto next = reader.next();
    ASSERT_TRUE(next);
    EXPECT_FALSE(next.value());
    EXPECT_EQ(reader.buffered(), frame.size() - 1);
}

TEST(IpcFrameReader, HugeLengthIsRefusedAfterFourBytes) {
    FrameReader reader;
    // 0x00100000 = kMaxFrameSize, then 0x00100001.
    reader.feed(std::vector<std::byte>{std::byte{0}, std::byte{0}, std::byte{0x10}, std::byte{0}});
    auto exact = reader.next(); // exactly kMaxFrameSize: allowed, needs more
    ASSERT_TRUE(exact);
    EXPECT_FALSE(exact.value());

    FrameReader hostile;
    hostile.feed(std::vector<std::byte>{std::byte{1}, std::byte{0}, std::byte{0x10}, std::byte{0}});
    auto next = hostile.next();
    ASSERT_FALSE(next);
    EXPECT_EQ(next.error().code, IpcErrc::FrameTooLarge);
    // It stays failed, whatever comes next.
    hostile.feed(encode(Shutdown{}).value());
    EXPECT_FALSE(hostile.next());
}

TEST(IpcFrameReader, LengthBelowHeaderIsFrameTooShort) {
    FrameReader reader;
    reader.feed(std::vector<std::byte>{std::byte{9}, std::byte{0}, std::byte{0}, std::byte{0}});
    auto next = reader.next();
    ASSERT_FALSE(next);
    EXPECT_EQ(next.error().code, IpcErrc::FrameTooShort);
}

} // namespace
} // namespace smtpd::ipc

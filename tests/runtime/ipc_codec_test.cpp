// The IPC codec: every message type round-trips (rapidcheck), the bytes of one frame are exactly
// those docs/arch/ipc.md describes, and every defect the decoder refuses is named here.
#include "ipc/codec.hpp"
#include "ipc/error.hpp"
#include "ipc_test_support.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <string>
#include <typeinfo>
#include <vector>

namespace smtpd::ipc {
namespace {

std::vector<std::byte> bytes(std::initializer_list<unsigned> values) {
    std::vector<std::byte> out;
    for (unsigned v : values) {
        out.push_back(static_cast<std::byte>(v));
    }
    return out;
}

std::vector<std::byte> frame_of(Message const& m, bool has_fd = false) {
    auto frame = encode(m, has_fd);
    EXPECT_TRUE(frame);
    return frame ? frame.value() : std::vector<std::byte>{};
}

// Rewrites the length field after a test has edited a frame.
void patch_length(std::vector<std::byte>& frame) {
    auto const n = static_cast<std::uint32_t>(frame.size());
    for (std::size_t i = 0; i < 4; ++i) {
        frame[i] = static_cast<std::byte>((n >> (8U * i)) & 0xFFU);
    }
}

std::error_code error_of(std::vector<std::byte> const& frame) {
    auto decoded = decode(frame);
    return decoded ? std::error_code{} : decoded.error().code;
}

TEST(IpcCodec, EveryMessageTypeRoundTrips) {
    testing::for_each_message_type([]<class M>() {
        bool const ok = rc::check(typeid(M).name(), [] {
            M const m = *testing::message_gen<M>();
            auto const frame = encode(m);
            RC_ASSERT(frame.has_value());
            auto const decoded = decode(frame.value());
            RC_ASSERT(decoded.has_value());
            RC_ASSERT(std::holds_alternative<M>(decoded.value()));
            RC_ASSERT(std::get<M>(decoded.value()) == m);
        });
        EXPECT_TRUE(ok) << typeid(M).name();
    });
}

RC_GTEST_PROP(IpcCodecProps, FdFlagRoundTripsAndEncodingIsCanonical, (bool has_fd)) {
    auto const m = *testing::any_message_gen();
    auto const frame = encode(m, has_fd);
    RC_ASSERT(frame.has_value());
    auto const decoded = decode_frame(frame.value());
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(decoded.value().has_fd == has_fd);
    RC_ASSERT(encode(decoded.value().message, has_fd).value() == frame.value());
}

RC_GTEST_PROP(IpcCodecProps, EveryTruncationIsAnErrorNotACrash, ()) {
    auto frame = encode(*testing::any_message_gen()).value();
    auto const cut = *rc::gen::inRange<std::size_t>(kHeaderSize, frame.size());
    frame.resize(cut);
    patch_length(frame);
    RC_ASSERT(error_of(frame) == IpcErrc::Truncated);
}

TEST(IpcCodec, FrameBytesAreAsDocumented) {
    LookupRecipient const m{0x0102030405060708, "ab", "c", true};
    auto const expected = bytes({
        0x38, 0x00, 0x00, 0x00,                         // length 56 = 10 + 8 + 6 + 5 + 1 + 26
        0x0c, 0x00,                                     // version 12
        0x03, 0x00,                                     // type LookupRecipient
        0x00, 0x00,                                     // flags
        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, // id
        0x02, 0x00, 0x00, 0x00, 'a',  'b',              // local
        0x01, 0x00, 0x00, 0x00, 'c',                    // domain
        0x01,                                           // client_local
        0x00, 0x00, 0x00, 0x00,                         // session: client_address ""
        0x00, 0x00, 0x00, 0x00,                         //   rdns ""
        0x00,                                           //   authenticated
        0x00, 0x00, 0x00, 0x00,                         //   auth_user ""
        0x00, 0x00, 0x00, 0x00,                         //   helo ""
        0x00, 0x00, 0x00, 0x00,                         //   mail_from ""
        0x00, 0x00, 0x00, 0x00,                         //   tag ""
        0x00,                                           //   tls
    });
    EXPECT_EQ(frame_of(m), expected);
    EXPECT_EQ(frame_of(m, true)[8], std::byte{kFlagFd});
}

TEST(IpcCodec, VectorIsCountThenElements) {
    ControlReply const m{7, false, {"x", ""}};
    auto const frame = frame_of(m);
    auto const body = std::vector<std::byte>(frame.begin() + kHeaderSize, frame.end());
    EXPECT_EQ(body, bytes({7, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 'x', 0, 0, 0, 0}));
}

TEST(IpcCodec, StructFieldIsItsFieldsInOrder) {
    RouteResolved const m{9, true, {{"m", 10, "::1"}}, false, "", ""};
    auto const frame = frame_of(m);
    auto const body = std::vector<std::byte>(frame.begin() + kHeaderSize, frame.end());
    EXPECT_EQ(body, bytes({9,  0, 0, 0, 0,   0,   0,   0, // id
                           1,                             // ok
                           1,  0, 0, 0,                   // one destination
                           1,  0, 0, 0, 'm',              //   host
                           10, 0,                         //   preference
                           3,  0, 0, 0, ':', ':', '1',    //   address
                           0,                             // permanent
                           0,  0, 0, 0,                   // status
                           0,  0, 0, 0}));                // reason
}

TEST(IpcCodecErrors, StructFieldCutShortIsTruncated) {
    auto frame = frame_of(RouteResolved{1, true, {{"mx", 5, "192.0.2.1"}}, false, "", ""});
    frame.resize(frame.size() - 12); // into the address of the destination
    patch_length(frame);
    EXPECT_EQ(error_of(frame), IpcErrc::Truncated);
}

TEST(IpcCodecErrors, ShorterThanAHeaderIsFrameTooShort) {
    EXPECT_EQ(error_of(bytes({})), IpcErrc::FrameTooShort);
    EXPECT_EQ(error_of(bytes({9, 0, 0, 0, 1, 0, 2, 0, 0})), IpcErrc::FrameTooShort);
}

TEST(IpcCodecErrors, LengthFieldBelowHeaderIsFrameTooShort) {
    auto frame = frame_of(Shutdown{});
    frame[0] = std::byte{9};
    EXPECT_EQ(error_of(frame), IpcErrc::FrameTooShort);
}

TEST(IpcCodecErrors, LengthFieldAboveMaximumIsFrameTooLarge) {
    auto frame = frame_of(Shutdown{});
    frame[3] = std::byte{0x7F};
    EXPECT_EQ(error_of(frame), IpcErrc::FrameTooLarge);
}

TEST(IpcCodecErrors, EncodingPastTheMaximumIsFrameTooLarge) {
    MessageCommit m{1, "id", std::string(kMaxFrameSize, 'x')};
    auto const frame = encode(m);
    ASSERT_FALSE(frame);
    EXPECT_EQ(frame.error().code, IpcErrc::FrameTooLarge);
    m.envelope.resize(kMaxFrameSize - kHeaderSize - 8 - 4 - 2 - 4);
    EXPECT_TRUE(encode(m)); // exactly kMaxFrameSize
    m.envelope.push_back('x');
    EXPECT_FALSE(encode(m));
}

TEST(IpcCodecErrors, LengthFieldNotTheFrameSizeIsLengthMismatch) {
    auto frame = frame_of(MessageCreate{1});
    frame.push_back(std::byte{0});
    EXPECT_EQ(error_of(frame), IpcErrc::LengthMismatch);
}

TEST(IpcCodecErrors, OtherVersionIsWrongVersion) {
    auto frame = frame_of(Shutdown{});
    frame[4] = std::byte{kIpcVersion + 1};
    EXPECT_EQ(error_of(frame), IpcErrc::WrongVersion);
}

TEST(IpcCodecErrors, TypeZeroAndPastTheLastAreUnknownType) {
    auto frame = frame_of(Shutdown{});
    frame[6] = std::byte{0};
    EXPECT_EQ(error_of(frame), IpcErrc::UnknownType);
    frame[6] = std::byte{kMsgTypeCount + 1};
    EXPECT_EQ(error_of(frame), IpcErrc::UnknownType);
    frame[6] = std::byte{0};
    frame[7] = std::byte{1};
    EXPECT_EQ(error_of(frame), IpcErrc::UnknownType);
}

TEST(IpcCodecErrors, UndefinedFlagIsUnknownFlags) {
    auto frame = frame_of(Shutdown{});
    frame[8] = std::byte{2};
    EXPECT_EQ(error_of(frame), IpcErrc::UnknownFlags);
    frame[8] = std::byte{0};
    frame[9] = std::byte{0x80};
    EXPECT_EQ(error_of(frame), IpcErrc::UnknownFlags);
}

TEST(IpcCodecErrors, StringLengthPastTheEndIsTruncated) {
    auto frame = frame_of(ScheduleMessage{"abc"});
    frame[kHeaderSize] = std::byte{4}; // says 4 bytes, 3 follow
    EXPECT_EQ(error_of(frame), IpcErrc::Truncated);
    frame[kHeaderSize + 3] = std::byte{0xFF}; // ~4 GiB: refused, nothing allocated
    EXPECT_EQ(error_of(frame), IpcErrc::Truncated);
}

TEST(IpcCodecErrors, HugeVectorCountIsTruncatedWithoutAllocating) {
    auto frame = frame_of(ControlRequest{1, ControlVerb::Stop, {}});
    for (std::size_t i = 0; i < 4; ++i) {
        frame[kHeaderSize + 9 + i] = std::byte{0xFF};
    }
    EXPECT_EQ(error_of(frame), IpcErrc::Truncated);
}

TEST(IpcCodecErrors, MissingFieldIsTruncated) {
    auto frame = frame_of(MessageCreate{1});
    frame.pop_back();
    patch_length(frame);
    EXPECT_EQ(error_of(frame), IpcErrc::Truncated);
}

TEST(IpcCodecErrors, BytesAfterTheLastFieldAreTrailingBytes) {
    auto frame = frame_of(Shutdown{});
    frame.push_back(std::byte{0});
    patch_length(frame);
    EXPECT_EQ(error_of(frame), IpcErrc::TrailingBytes);
}

TEST(IpcCodecErrors, BoolOtherThanZeroOrOneIsBadBool) {
    auto frame = frame_of(MessageCommitted{1, true, ""});
    frame[kHeaderSize + 8] = std::byte{2};
    EXPECT_EQ(error_of(frame), IpcErrc::BadBool);
}

TEST(IpcCodecErrors, EnumPastItsLastValueIsBadEnum) {
    auto frame = frame_of(CredentialsChecked{1, AuthVerdict::TempFail});
    frame[kHeaderSize + 8] = std::byte{static_cast<unsigned>(AuthVerdict::TempFail) + 1};
    EXPECT_EQ(error_of(frame), IpcErrc::BadEnum);
    auto hello = frame_of(Hello{kIpcVersion, Role::Dispatcher});
    hello[kHeaderSize + 2] = std::byte{0xFF};
    EXPECT_EQ(error_of(hello), IpcErrc::BadEnum);
}

TEST(IpcCodecErrors, EveryErrorHasAMessage) {
    for (int e = static_cast<int>(IpcErrc::FrameTooShort);
         e <= static_cast<int>(IpcErrc::DuplicateRequestId); ++e) {
        EXPECT_NE(make_error_code(static_cast<IpcErrc>(e)).message(), "unknown IPC error") << e;
    }
}

} // namespace
} // namespace smtpd::ipc

// The queued message file's header and slots (spool/message_file.hpp): exact bytes of a header,
// round trips of any envelope text and generation, and the rules that make an update safe
// against a torn write: a slot with any octet changed is refused, and the current slot is the
// valid one of the larger generation.
#include "spool/message_file.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace smtpd::rt::spoolfile {
namespace {

TEST(SpoolFile, TheDefaultHeaderPutsTheContentAt64KiB) {
    Header const header;
    std::string const bytes = encode_header(header);
    ASSERT_EQ(bytes.size(), kHeaderSize);
    EXPECT_EQ(bytes.substr(0, 8), "smtpdq1\n");
    EXPECT_EQ(header.content_offset(), 65536U);
    EXPECT_EQ(header.slot_offset(1), kHeaderSize + kDefaultSlotSize);
    EXPECT_EQ(decode_header(bytes), header);
}

TEST(SpoolFile, ALargeEnvelopeGetsSlotsTwiceItsSizeAndAContentOffsetOnAPage) {
    EXPECT_EQ(header_for(100), Header{});
    Header const big = header_for(100000);
    EXPECT_TRUE(big.fits(200000));
    EXPECT_EQ(big.content_offset() % 4096, 0U);
    EXPECT_EQ(decode_header(encode_header(big)), big);
}

TEST(SpoolFile, AHeaderWithABadMagicCheckOrOffsetIsRefused) {
    std::string const good = encode_header(Header{});
    for (std::size_t i = 0; i < good.size(); ++i) {
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ 0x01);
        EXPECT_FALSE(decode_header(bad)) << "octet " << i;
    }
    EXPECT_FALSE(decode_header(good.substr(0, kHeaderSize - 1)));
}

TEST(SpoolFile, AnUnwrittenSlotIsNotValidAndTheOtherIsChosen) {
    Header const header;
    std::string const zeros(kSlotHeaderSize, '\0');
    EXPECT_FALSE(decode_slot(zeros, header));
    auto const written = decode_slot(encode_slot(Slot{1, "x"}), header);
    EXPECT_EQ(current_slot(std::nullopt, written), 1);
    EXPECT_EQ(current_slot(written, std::nullopt), 0);
    EXPECT_EQ(current_slot(std::nullopt, std::nullopt), std::nullopt);
}

TEST(SpoolFile, ASlotLongerThanItsPlaceIsRefused) {
    Header const small{64};
    std::string const text(64 - kSlotHeaderSize + 1, 'e');
    EXPECT_FALSE(small.fits(text.size()));
    EXPECT_FALSE(decode_slot(encode_slot(Slot{1, text}), small));
}

RC_GTEST_PROP(SpoolFileProps, AnySlotRoundTrips, (std::string const& text)) {
    auto const generation = *rc::gen::inRange<std::uint64_t>(1, UINT64_MAX);
    Slot const slot{generation, text};
    auto const decoded = decode_slot(encode_slot(slot), header_for(text.size()));
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(*decoded == slot);
}

RC_GTEST_PROP(SpoolFileProps, AnyChangedOctetOfASlotIsCaught, (std::string const& text)) {
    std::string bytes = encode_slot(Slot{7, text});
    auto const at = *rc::gen::inRange<std::size_t>(0, bytes.size());
    auto const flip = *rc::gen::inRange<int>(1, 256);
    bytes[at] = static_cast<char>(static_cast<unsigned char>(bytes[at]) ^ flip);
    auto const decoded = decode_slot(bytes, header_for(text.size() + 1));
    RC_ASSERT(!decoded || (*decoded != Slot{7, text}));
}

RC_GTEST_PROP(SpoolFileProps, TheCurrentSlotHasTheLargerGeneration,
              (std::uint64_t a, std::uint64_t b)) {
    RC_PRE(a != 0 && b != 0);
    auto const chosen = current_slot(Slot{a, "a"}, Slot{b, "b"});
    RC_ASSERT(chosen == (a >= b ? 0 : 1));
}

} // namespace
} // namespace smtpd::rt::spoolfile

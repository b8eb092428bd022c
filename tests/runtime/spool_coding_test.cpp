// The queue's coding (spool/coding.hpp) and the spool that uses it: gzip and AES-256-GCM round
// trips in OpenSMTPD's layout; a wrong key, a flipped byte or a cut text is corrupt
// (errc::illegal_byte_sequence); a spool with a coding stores neither the envelope nor the
// content in clear, gives readers the decoded content, and sets a corrupt message aside.
#include "common/fs.hpp"
#include "spool/coding.hpp"
#include "spool/message_file.hpp"
#include "spool/spool.hpp"
#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>

namespace smtpd::rt {
namespace {

namespace fs = std::filesystem;
namespace sf = spoolfile;

std::string const kKey = "0123456789abcdef0123456789abcdef";
std::string const kOtherKey = "fedcba9876543210fedcba9876543210";
std::string const kContent = "Subject: secret plans\r\n\r\nthe plaintext body\r\n";

std::string file_text(std::string const& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(std::string const& path, std::string const& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

QueuedEnvelope envelope_for(std::string const& id) {
    QueuedEnvelope envelope{id, 1, "h", "127.0.0.1", true, "alice@example.org", {}, 0, {}};
    envelope.recipients.push_back({"bob@example.org", "bob", "/m"});
    return envelope;
}

std::string committed(Spool& spool) {
    auto msg = spool.begin();
    EXPECT_TRUE(msg);
    msg.value().write(kContent);
    std::string id = msg.value().id();
    EXPECT_TRUE(spool.commit(msg.value(), envelope_for(id)));
    return id;
}

TEST(SpoolCoding, GzipIsAGzipStreamThatDecompressesBack) {
    auto gz = gzip_compress(kContent);
    ASSERT_TRUE(gz);
    ASSERT_GE(gz.value().size(), 2U);
    EXPECT_EQ(static_cast<unsigned char>(gz.value()[0]), 0x1fU); // RFC 1952 ID1, ID2
    EXPECT_EQ(static_cast<unsigned char>(gz.value()[1]), 0x8bU);
    EXPECT_EQ(gzip_decompress(gz.value(), 1000).value(), kContent);
    EXPECT_EQ(gzip_decompress(gz.value(), 10).error().code, std::errc::illegal_byte_sequence);
    EXPECT_EQ(gzip_decompress(gz.value().substr(0, gz.value().size() - 4), 1000).error().code,
              std::errc::illegal_byte_sequence);
}

TEST(SpoolCoding, EncryptionHasOpenSmtpdsLayoutAndAuthenticates) {
    SpoolCoding const coding(false, kKey);
    auto sealed = coding.encode(kContent);
    ASSERT_TRUE(sealed);
    // crypto.c: version byte 1, 12-octet IV, the ciphertext (as long as the text), 16-octet tag.
    EXPECT_EQ(sealed.value().size(), 1 + 12 + kContent.size() + 16);
    EXPECT_EQ(sealed.value()[0], '\x01');
    EXPECT_EQ(sealed.value().find("plaintext"), std::string::npos);
    EXPECT_EQ(coding.decode(sealed.value()).value(), kContent);
    EXPECT_NE(coding.encode(kContent).value(), sealed.value()) << "a fresh IV each time";
    for (std::size_t at :
         {std::size_t{0}, std::size_t{5}, std::size_t{20}, sealed.value().size() - 1}) {
        std::string flipped = sealed.value();
        flipped[at] = static_cast<char>(flipped[at] ^ 0x01);
        EXPECT_EQ(coding.decode(flipped).error().code, std::errc::illegal_byte_sequence) << at;
    }
    EXPECT_EQ(SpoolCoding(false, kOtherKey).decode(sealed.value()).error().code,
              std::errc::illegal_byte_sequence);
    EXPECT_EQ(coding.decode("short").error().code, std::errc::illegal_byte_sequence);
}

TEST(SpoolCoding, CompressionThenEncryptionRoundTrips) {
    SpoolCoding const coding(true, kKey);
    std::string const big(100000, 'a');
    auto stored = coding.encode(big);
    ASSERT_TRUE(stored);
    EXPECT_LT(stored.value().size(), 1000U);
    EXPECT_EQ(coding.decode(stored.value()).value(), big);
    auto gz = SpoolCoding(false, kKey).decode(stored.value());
    ASSERT_TRUE(gz); // encrypted last: what decrypts is the gzip stream
    EXPECT_EQ(gzip_decompress(gz.value(), big.size()).value(), big);
}

TEST(SpoolCoding, ACodedSpoolKeepsNothingInClearAndReadsItBack) {
    testing::TempDir dir;
    auto spool = Spool::open(dir.path(), SpoolCoding(true, kKey));
    ASSERT_TRUE(spool);
    std::string const id = committed(spool.value());
    std::string const file = file_text(dir.path() + "/queue/" + id);
    EXPECT_EQ(file.find("plaintext"), std::string::npos);
    EXPECT_EQ(file.find("alice@example.org"), std::string::npos);
    EXPECT_EQ(spool.value().load_envelope(id).value(), envelope_for(id));
    EXPECT_EQ(spool.value().read_content(id).value(), kContent);
    auto fd = spool.value().open_content(id);
    ASSERT_TRUE(fd);
    EXPECT_EQ(read_to_end(fd.value().get()).value(), kContent);
    QueuedEnvelope updated = envelope_for(id);
    updated.attempts = 3;
    ASSERT_TRUE(spool.value().update_envelope(updated));
    EXPECT_EQ(spool.value().load_envelope(id).value().attempts, 3U);
    // Reopened with the key (a restart), the queue reads; with another, it does not.
    auto again = Spool::open(dir.path(), SpoolCoding(true, kKey));
    EXPECT_EQ(again.value().read_content(id).value(), kContent);
    auto wrong = Spool::open(dir.path(), SpoolCoding(true, kOtherKey));
    EXPECT_EQ(wrong.value().load_envelope(id).error().code, std::errc::illegal_byte_sequence);
    EXPECT_EQ(wrong.value().open_content(id).error().code, std::errc::illegal_byte_sequence);
}

TEST(SpoolCoding, CompressedContentIsOneGzipStreamAfterTheSlots) {
    testing::TempDir dir;
    auto spool = Spool::open(dir.path(), SpoolCoding(true, std::nullopt));
    ASSERT_TRUE(spool);
    std::string const id = committed(spool.value());
    std::string const file = file_text(dir.path() + "/queue/" + id);
    std::string const content = file.substr(sf::Header{}.content_offset());
    EXPECT_EQ(gzip_decompress(content, 1000).value(), kContent);
}

TEST(SpoolCoding, AFlippedContentByteIsCorruptAndTheMessageCanBeSetAside) {
    testing::TempDir dir;
    auto spool = Spool::open(dir.path(), SpoolCoding(false, kKey));
    ASSERT_TRUE(spool);
    std::string const id = committed(spool.value());
    std::string const path = dir.path() + "/queue/" + id;
    std::string file = file_text(path);
    std::size_t const at = sf::Header{}.content_offset() + 20;
    file[at] = static_cast<char>(file[at] ^ 0x40);
    write_text(path, file);
    EXPECT_TRUE(spool.value().load_envelope(id)); // the envelope is intact
    EXPECT_EQ(spool.value().open_content(id).error().code, std::errc::illegal_byte_sequence);
    ASSERT_TRUE(spool.value().set_aside(id));
    EXPECT_FALSE(spool.value().contains(id));
    EXPECT_TRUE(fs::exists(dir.path() + "/corrupt/" + id));
    EXPECT_TRUE(spool.value().queued_ids().empty());
}

} // namespace
} // namespace smtpd::rt

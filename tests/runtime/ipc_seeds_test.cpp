// The committed seeds of the IPC fuzz target (fuzz/corpus/ipc/) are frames of the current
// kIpcVersion, one per message type, so that the fuzzer starts past the version check: this test
// fails when a seed is stale and says how to rewrite them (SMTPD_WRITE_IPC_SEEDS=1).
// Depends on: ipc/codec.hpp, GoogleTest.
#include "ipc/codec.hpp"
#include "ipc_test_support.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace smtpd::ipc {
namespace {

std::string const kCorpus = SMTPD_SOURCE_DIR "/fuzz/corpus/ipc/";

/// "LookupRecipient" -> "lookup-recipient".
std::string seed_name(std::string_view type) {
    std::string out;
    for (char const c : type) {
        if (std::isupper(static_cast<unsigned char>(c)) != 0 && !out.empty()) {
            out += '-';
        }
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::vector<std::pair<std::string, std::vector<std::byte>>> expected_seeds() {
    std::vector<std::pair<std::string, std::vector<std::byte>>> seeds;
    std::vector<std::byte> stream;
    testing::for_each_message_type([&]<class M>() {
        Message const m = M{};
        auto frame = encode(m);
        EXPECT_TRUE(frame);
        stream.insert(stream.end(), frame.value().begin(), frame.value().end());
        seeds.emplace_back(seed_name(type_name(m)), std::move(frame).value());
    });
    seeds.emplace_back("all-in-one-stream", stream);
    return seeds;
}

std::vector<std::byte> read_seed(std::string const& name) {
    std::ifstream in(kCorpus + name, std::ios::binary);
    std::vector<char> const chars{std::istreambuf_iterator<char>(in), {}};
    std::vector<std::byte> bytes(chars.size());
    std::transform(chars.begin(), chars.end(), bytes.begin(),
                   [](char c) { return static_cast<std::byte>(c); });
    return bytes;
}

TEST(IpcSeeds, EveryMessageTypeHasACurrentSeed) {
    bool const write = std::getenv("SMTPD_WRITE_IPC_SEEDS") != nullptr;
    for (auto const& [name, frame] : expected_seeds()) {
        if (write) {
            std::ofstream out(kCorpus + name, std::ios::binary | std::ios::trunc);
            out.write(reinterpret_cast<char const*>(frame.data()),
                      static_cast<std::streamsize>(frame.size()));
        }
        EXPECT_EQ(read_seed(name), frame)
            << "fuzz/corpus/ipc/" << name
            << " is stale: run runtime_tests with SMTPD_WRITE_IPC_SEEDS=1 "
               "--gtest_filter=IpcSeeds.* and commit the seeds";
    }
}

} // namespace
} // namespace smtpd::ipc

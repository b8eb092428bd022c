// Fuzz target: the decoders of the queue's coding (spool/coding.hpp), fed a queue file's text as
// found on disk (a flipped byte, a cut file, a wrong key, a hand-made file): gzip decompression,
// AES-256-GCM opening, and both in the queue's order. Properties: any bytes decode or give
// errc::illegal_byte_sequence, never a crash and never more than the limit; what encode() makes
// decodes back to the input under each coding.
#include "spool/coding.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using smtpd::rt::SpoolCoding;

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

constexpr std::size_t kLimit = 1 << 20;
std::string const kKey = "0123456789abcdef0123456789abcdef";

void decodes_or_is_corrupt(SpoolCoding const& coding, std::string_view bytes) {
    auto decoded = coding.decode(bytes, kLimit);
    if (decoded) {
        check(decoded.value().size() <= kLimit);
    } else {
        check(decoded.error().code == std::errc::illegal_byte_sequence ||
              decoded.error().code == std::errc::io_error);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view const bytes(reinterpret_cast<char const*>(data), size);
    SpoolCoding const gzip(true, std::nullopt);
    SpoolCoding const aes(false, kKey);
    SpoolCoding const both(true, kKey);
    for (SpoolCoding const* coding : {&gzip, &aes, &both}) {
        decodes_or_is_corrupt(*coding, bytes);
        if (size <= kLimit) {
            auto encoded = coding->encode(bytes);
            check(encoded.has_value());
            auto again = coding->decode(encoded.value(), kLimit);
            check(again.has_value() && again.value() == bytes);
        }
    }
    return 0;
}

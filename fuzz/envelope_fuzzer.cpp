// Fuzz target: the on-disk envelope decoder. Properties: any bytes give an envelope or nothing;
// a decoded envelope (of any version read, 1 or 2) re-encodes, at the current version, to text
// that decodes to the same envelope.
#include "spool/envelope.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view const text(reinterpret_cast<char const*>(data), size);
    auto const decoded = smtpd::rt::decode_envelope(text);
    if (decoded) {
        auto const again = smtpd::rt::decode_envelope(smtpd::rt::encode_envelope(*decoded));
        if (!again || !(*again == *decoded)) {
            std::abort();
        }
    }
    return 0;
}

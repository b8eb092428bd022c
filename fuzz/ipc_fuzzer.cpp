// Fuzz target: the IPC FrameReader and decoder on arbitrary bytes, as a hostile peer would send
// them. Property: every frame that decodes re-encodes to exactly its bytes (the encoding is
// canonical); no input crashes, and the reader never holds more than it was fed.
#include "ipc/codec.hpp"
#include "ipc/frame_reader.hpp"

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    smtpd::ipc::FrameReader reader;
    reader.feed(std::span(reinterpret_cast<std::byte const*>(data), size));
    while (true) {
        auto next = reader.next();
        if (!next) {
            break;
        }
        std::optional<std::vector<std::byte>> const& bytes = next.value();
        if (!bytes) {
            break;
        }
        auto const& frame = *bytes;
        auto const decoded = smtpd::ipc::decode_frame(frame);
        if (decoded) {
            auto const again = smtpd::ipc::encode(decoded.value().message, decoded.value().has_fd);
            if (!again || again.value() != frame) {
                std::abort();
            }
        }
        if (reader.buffered() > size) {
            std::abort();
        }
    }
    return 0;
}

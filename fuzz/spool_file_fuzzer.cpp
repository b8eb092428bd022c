// Fuzz target: the queued message file's header and envelope slots (spool/message_file.hpp), as
// read back from disk after a crash or by a hand that edited the spool. Properties: any bytes
// give a header or nothing and slots or nothing, never a crash; whatever decodes re-encodes to
// the very bytes it came from; the slot chosen as current is a decoded one of the larger
// generation.
#include "spool/message_file.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace sf = smtpd::rt::spoolfile;

namespace {

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

std::optional<sf::Slot> slot_at(std::string_view file, std::uint64_t offset,
                                sf::Header const& header) {
    if (offset >= file.size()) {
        return std::nullopt;
    }
    std::string_view const bytes = file.substr(offset);
    auto slot = sf::decode_slot(bytes, header);
    if (slot) {
        std::string const again = sf::encode_slot(*slot);
        check(bytes.substr(0, again.size()) == again && header.fits(slot->envelope.size()));
    }
    return slot;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view const file(reinterpret_cast<char const*>(data), size);
    // A slot on its own, under the default header: reaches the slot decoder without a header.
    static_cast<void>(slot_at(file, 0, sf::Header{}));
    auto const header = sf::decode_header(file);
    if (!header) {
        return 0;
    }
    check(sf::encode_header(*header) == file.substr(0, sf::kHeaderSize));
    auto const first = slot_at(file, header->slot_offset(0), *header);
    auto const second = slot_at(file, header->slot_offset(1), *header);
    auto const current = sf::current_slot(first, second);
    check(current.has_value() == (first || second));
    if (current) {
        auto const& chosen = *current == 0 ? first : second;
        auto const& other = *current == 0 ? second : first;
        check(chosen.has_value() && (!other || other->generation <= chosen->generation));
    }
    return 0;
}

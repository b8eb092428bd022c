// Encoding and decoding of the queued message file's header and envelope slots.
#include "spool/message_file.hpp"

#include "common/hash.hpp"

#include <algorithm>

namespace smtpd::rt::spoolfile {

namespace {

constexpr std::string_view kMagic = "smtpdq1\n";
constexpr std::size_t kPage = 4096;

void put(std::string& out, std::uint64_t value, std::size_t octets) {
    for (std::size_t i = 0; i < octets; ++i) {
        out.push_back(static_cast<char>((value >> (8 * i)) & 0xffU));
    }
}

std::uint64_t get(std::string_view bytes, std::size_t at, std::size_t octets) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < octets; ++i) {
        value |= std::uint64_t{static_cast<unsigned char>(bytes[at + i])} << (8 * i);
    }
    return value;
}

std::uint64_t slot_check(std::string_view head, std::string_view text) {
    std::string checked(head.substr(0, 16));
    checked.append(text);
    return fnv1a(checked);
}

} // namespace

Header header_for(std::size_t length) {
    std::size_t const need = kSlotHeaderSize + (2 * length);
    if (need <= kDefaultSlotSize) {
        return Header{};
    }
    std::size_t const content = ((kHeaderSize + (2 * need) + kPage - 1) / kPage) * kPage;
    return Header{static_cast<std::uint32_t>((content - kHeaderSize) / 2)};
}

std::string encode_header(Header const& header) {
    std::string out(kMagic);
    put(out, header.slot_size, 4);
    put(out, 0, 4);
    put(out, header.content_offset(), 8);
    put(out, fnv1a(out), 8);
    return out;
}

std::optional<Header> decode_header(std::string_view bytes) {
    if (bytes.size() < kHeaderSize || bytes.substr(0, kMagic.size()) != kMagic ||
        get(bytes, 24, 8) != fnv1a(bytes.substr(0, 24))) {
        return std::nullopt;
    }
    Header const header{static_cast<std::uint32_t>(get(bytes, 8, 4))};
    if (header.slot_size < kSlotHeaderSize || header.slot_size > kMaxSlotSize ||
        get(bytes, 12, 4) != 0 || get(bytes, 16, 8) != header.content_offset()) {
        return std::nullopt;
    }
    return header;
}

std::string encode_slot(Slot const& slot) {
    std::string out;
    put(out, slot.generation, 8);
    put(out, slot.envelope.size(), 4);
    put(out, 0, 4);
    put(out, slot_check(out, slot.envelope), 8);
    out.append(slot.envelope);
    return out;
}

std::optional<std::uint32_t> slot_length(std::string_view bytes) {
    if (bytes.size() < kSlotHeaderSize) {
        return std::nullopt;
    }
    return static_cast<std::uint32_t>(get(bytes, 8, 4));
}

std::optional<Slot> decode_slot(std::string_view bytes, Header const& header) {
    auto const length = slot_length(bytes);
    if (!length || !header.fits(*length) || bytes.size() - kSlotHeaderSize < *length) {
        return std::nullopt;
    }
    std::uint64_t const generation = get(bytes, 0, 8);
    std::string_view const text = bytes.substr(kSlotHeaderSize, *length);
    if (generation == 0 || get(bytes, 12, 4) != 0 ||
        get(bytes, 16, 8) != slot_check(bytes.substr(0, 16), text)) {
        return std::nullopt;
    }
    return Slot{generation, std::string(text)};
}

std::optional<int> current_slot(std::optional<Slot> const& first,
                                std::optional<Slot> const& second) {
    if (first && (!second || first->generation >= second->generation)) {
        return 0;
    }
    if (second) {
        return 1;
    }
    return std::nullopt;
}

} // namespace smtpd::rt::spoolfile

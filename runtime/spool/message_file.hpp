// The layout of one queued message file (docs/arch/queue.md): a 32-octet header written once,
// two envelope slots of S octets each, then the content to the end of the file. An envelope
// update writes the slot not holding the current envelope with the next generation, so a torn
// write leaves the other slot, still valid, in force. Pure encoding and decoding, no I/O: the
// spool does the reads and writes. Every integer is little-endian; checks are FNV-1a 64.
// Depends on: common/hash.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smtpd::rt::spoolfile {

inline constexpr std::size_t kHeaderSize = 32;
inline constexpr std::size_t kSlotHeaderSize = 24;
/// The slot size of a new file: room for an envelope of about 300 recipients, content at 64 KiB.
inline constexpr std::uint32_t kDefaultSlotSize = 32752;
/// The largest slot accepted when decoding (an envelope is far smaller).
inline constexpr std::uint32_t kMaxSlotSize = std::uint32_t{1} << 28;

struct Header {
    std::uint32_t slot_size = kDefaultSlotSize;

    [[nodiscard]] std::uint64_t content_offset() const {
        return kHeaderSize + (std::uint64_t{2} * slot_size);
    }
    [[nodiscard]] std::uint64_t slot_offset(int slot) const {
        return kHeaderSize + (static_cast<std::uint64_t>(slot) * slot_size);
    }
    /// Whether an envelope text of `length` octets fits in one slot.
    [[nodiscard]] bool fits(std::size_t length) const {
        return length <= slot_size - kSlotHeaderSize;
    }
    friend bool operator==(Header const&, Header const&) = default;
};

/// The header for a file whose slots hold `length` octets with room to grow: the default, or
/// twice the need, the content offset rounded up to 4 KiB.
[[nodiscard]] Header header_for(std::size_t length);

[[nodiscard]] std::string encode_header(Header const& header);
/// None unless `bytes` starts with a whole header whose magic and check are right and whose
/// slot size is within limits.
[[nodiscard]] std::optional<Header> decode_header(std::string_view bytes);

struct Slot {
    std::uint64_t generation = 0; ///< 0: never written
    std::string envelope;         ///< the text of spool/envelope.hpp
    friend bool operator==(Slot const&, Slot const&) = default;
};

/// The slot's bytes (header and text, not padded to the slot size).
[[nodiscard]] std::string encode_slot(Slot const& slot);
/// The length of the text a slot's first kSlotHeaderSize octets announce; none if they are cut.
[[nodiscard]] std::optional<std::uint32_t> slot_length(std::string_view bytes);
/// None unless `bytes` starts with a written slot whose text fits `header`'s slot size and
/// whose check is right.
[[nodiscard]] std::optional<Slot> decode_slot(std::string_view bytes, Header const& header);

/// Which of two decoded slots holds the current envelope: 0 or 1, none if neither is valid.
[[nodiscard]] std::optional<int> current_slot(std::optional<Slot> const& first,
                                              std::optional<Slot> const& second);

} // namespace smtpd::rt::spoolfile

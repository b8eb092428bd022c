// The generic IPC codec: a Writer and a Reader of typed fields, driven by each message's
// `fields()` list, and a table from MsgType to the decoder of its struct. See codec.hpp for the
// contract and docs/arch/ipc.md for the bytes.
#include "ipc/codec.hpp"

#include "ipc/error.hpp"

#include <array>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

namespace smtpd::ipc {

namespace {

template <class T> struct IsVector : std::false_type {};
template <class T> struct IsVector<std::vector<T>> : std::true_type {};

template <class> struct UnsupportedField : std::false_type {};

/// A struct field with a `fields()` list of its own (ipc::RouteDestination): its fields in order.
template <class T>
concept Composite = requires(T& value) { T::fields(value); };

class Writer {
  public:
    explicit Writer(std::vector<std::byte>& out) : out_(out) {}

    void put_le(std::uint64_t value, std::size_t width) {
        for (std::size_t i = 0; i < width; ++i) {
            out_.push_back(static_cast<std::byte>((value >> (8U * i)) & 0xFFU));
        }
    }

    template <class T> void put(T const& value) {
        if (too_large_) {
            return;
        }
        if constexpr (std::is_same_v<T, bool>) {
            put_le(value ? 1U : 0U, 1);
        } else if constexpr (std::is_enum_v<T>) {
            static_assert(sizeof(T) == 1, "wire enums are one byte");
            put_le(static_cast<std::uint8_t>(value), 1);
        } else if constexpr (std::is_unsigned_v<T>) {
            put_le(value, sizeof(T));
        } else if constexpr (std::is_same_v<T, std::string>) {
            if (!fits(value.size())) {
                return;
            }
            put_le(value.size(), 4);
            auto const* bytes = reinterpret_cast<std::byte const*>(value.data());
            out_.insert(out_.end(), bytes, bytes + value.size());
        } else if constexpr (IsVector<T>::value) {
            if (!fits(value.size())) {
                return;
            }
            put_le(value.size(), 4);
            for (auto const& element : value) {
                put(element);
            }
        } else if constexpr (Composite<T>) {
            std::apply([&](auto const&... field) { (put(field), ...); }, T::fields(value));
        } else {
            static_assert(UnsupportedField<T>::value, "no wire encoding for this field type");
        }
        too_large_ = too_large_ || out_.size() > kMaxFrameSize;
    }

    [[nodiscard]] bool too_large() const { return too_large_; }

  private:
    // A length that cannot fit in a frame is refused before anything is copied.
    bool fits(std::size_t n) {
        too_large_ = too_large_ || n > kMaxFrameSize - out_.size();
        return !too_large_;
    }

    std::vector<std::byte>& out_;
    bool too_large_ = false;
};

class Reader {
  public:
    explicit Reader(std::span<std::byte const> bytes) : rest_(bytes) {}

    bool get_le(std::uint64_t& value, std::size_t width) {
        if (!take(width)) {
            return false;
        }
        value = 0;
        for (std::size_t i = 0; i < width; ++i) {
            value |= std::to_integer<std::uint64_t>(taken_[i]) << (8U * i);
        }
        return true;
    }

    template <class T> bool get(T& value) {
        std::uint64_t raw = 0;
        if constexpr (std::is_same_v<T, bool>) {
            if (!get_le(raw, 1)) {
                return false;
            }
            if (raw > 1) {
                return fail(IpcErrc::BadBool);
            }
            value = raw == 1;
        } else if constexpr (std::is_enum_v<T>) {
            static_assert(sizeof(T) == 1, "wire enums are one byte");
            if (!get_le(raw, 1)) {
                return false;
            }
            if (raw > static_cast<std::uint64_t>(last_value(T{}))) {
                return fail(IpcErrc::BadEnum);
            }
            value = static_cast<T>(raw);
        } else if constexpr (std::is_unsigned_v<T>) {
            if (!get_le(raw, sizeof(T))) {
                return false;
            }
            value = static_cast<T>(raw);
        } else if constexpr (std::is_same_v<T, std::string>) {
            if (!get_le(raw, 4) || !take(static_cast<std::size_t>(raw))) {
                return false;
            }
            value.assign(reinterpret_cast<char const*>(taken_.data()), taken_.size());
        } else if constexpr (IsVector<T>::value) {
            if (!get_le(raw, 4)) {
                return false;
            }
            // No reserve from the count: elements are read (and allocated) only while bytes
            // remain, so memory stays bounded by the frame.
            value.clear();
            for (std::uint64_t i = 0; i < raw; ++i) {
                if (!get(value.emplace_back())) {
                    return false;
                }
            }
        } else if constexpr (Composite<T>) {
            return std::apply([&](auto&... field) { return (get(field) && ...); },
                              T::fields(value));
        } else {
            static_assert(UnsupportedField<T>::value, "no wire encoding for this field type");
        }
        return true;
    }

    [[nodiscard]] bool empty() const { return rest_.empty(); }
    [[nodiscard]] std::error_code error() const { return error_; }

  private:
    bool take(std::size_t n) {
        if (n > rest_.size()) {
            return fail(IpcErrc::Truncated);
        }
        taken_ = rest_.first(n);
        rest_ = rest_.subspan(n);
        return true;
    }
    bool fail(IpcErrc e) {
        error_ = e;
        return false;
    }

    std::span<std::byte const> rest_;
    std::span<std::byte const> taken_;
    std::error_code error_;
};

template <std::size_t I> Result<Message> decode_alternative(Reader& reader) {
    using M = std::variant_alternative_t<I, Message>;
    M message{};
    bool const ok =
        std::apply([&](auto&... field) { return (reader.get(field) && ...); }, M::fields(message));
    if (!ok) {
        return reader.error();
    }
    if (!reader.empty()) {
        return IpcErrc::TrailingBytes;
    }
    return Message{std::move(message)};
}

using DecodeFn = Result<Message> (*)(Reader&);

template <std::size_t... I> constexpr auto make_decoders(std::index_sequence<I...> /*seq*/) {
    static_assert(
        ((static_cast<std::size_t>(std::variant_alternative_t<I, Message>::kType) == I + 1) && ...),
        "MsgType values must be the Message index plus one");
    return std::array<DecodeFn, sizeof...(I)>{&decode_alternative<I>...};
}

constexpr auto kDecoders = make_decoders(std::make_index_sequence<kMsgTypeCount>{});

} // namespace

std::uint32_t load_u32(std::span<std::byte const> bytes) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        value |= std::to_integer<std::uint32_t>(bytes[i]) << (8U * i);
    }
    return value;
}

Result<std::vector<std::byte>> encode(Message const& message, bool has_fd) {
    std::vector<std::byte> out;
    Writer writer(out);
    writer.put_le(0, 4); // the length, patched below
    writer.put(kIpcVersion);
    writer.put(static_cast<std::uint16_t>(type_of(message)));
    writer.put(has_fd ? kFlagFd : std::uint16_t{0});
    std::visit(
        [&](auto const& m) {
            std::apply([&](auto const&... field) { (writer.put(field), ...); }, m.fields(m));
        },
        message);
    if (writer.too_large()) {
        return IpcErrc::FrameTooLarge;
    }
    auto const length = static_cast<std::uint32_t>(out.size());
    for (std::size_t i = 0; i < 4; ++i) {
        out[i] = static_cast<std::byte>((length >> (8U * i)) & 0xFFU);
    }
    return out;
}

Result<Decoded> decode_frame(std::span<std::byte const> frame) {
    if (frame.size() < kHeaderSize) {
        return IpcErrc::FrameTooShort;
    }
    std::uint32_t const length = load_u32(frame);
    if (length < kHeaderSize) {
        return IpcErrc::FrameTooShort;
    }
    if (length > kMaxFrameSize) {
        return IpcErrc::FrameTooLarge;
    }
    if (length != frame.size()) {
        return IpcErrc::LengthMismatch;
    }
    Reader reader(frame.subspan(4));
    std::uint16_t version = 0;
    std::uint16_t type = 0;
    std::uint16_t flags = 0;
    if (!reader.get(version) || !reader.get(type) || !reader.get(flags)) {
        return reader.error();
    }
    if (version != kIpcVersion) {
        return IpcErrc::WrongVersion;
    }
    if (type == 0 || type > kMsgTypeCount) {
        return IpcErrc::UnknownType;
    }
    if ((flags & ~kKnownFlags) != 0) {
        return IpcErrc::UnknownFlags;
    }
    auto message = kDecoders[type - 1U](reader);
    if (!message) {
        return message.error();
    }
    return Decoded{std::move(message).value(), (flags & kFlagFd) != 0};
}

Result<Message> decode(std::span<std::byte const> frame) {
    auto decoded = decode_frame(frame);
    if (!decoded) {
        return decoded.error();
    }
    return std::move(decoded).value().message;
}

} // namespace smtpd::ipc

// FNV-1a, 64 bits: a short, stable digest of a string, for names and seeds that must be the same
// at every run. Not a security boundary. Depends on: the standard library.
#pragma once

#include <cstdint>
#include <string_view>

namespace smtpd::rt {

/// `salt` varies the digest of the same text (the offset basis is xored with it); 0 is plain
/// FNV-1a.
[[nodiscard]] inline std::uint64_t fnv1a(std::string_view text, std::uint64_t salt = 0) {
    std::uint64_t hash = 0xcbf29ce484222325ULL ^ salt;
    for (char const c : text) {
        hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    }
    return hash;
}

} // namespace smtpd::rt

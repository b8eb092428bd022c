// libFuzzer target for the SRS decoder (runtime/srs/srs.hpp). Property: any bytes given to
// reverse() give an address or a Failure of the srs category with a sentence; and, taken as a
// sender, what forward() rewrites comes back through reverse() under the same key, the backup
// key, and the same day: the sender itself, or for an SRS0 sender the same with its tag in upper
// case, or for an SRS1 sender an address tagged SRS0. abort() otherwise.
// Depends on: runtime/srs/srs.hpp.
#include "srs/srs.hpp"

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

namespace srs = smtpd::rt::srs;

constexpr smtpd::rt::SysSeconds kNow{std::chrono::seconds{1796601600}};

void check_failure(smtpd::rt::Result<std::string> const& r) {
    if (!r && (r.error().code.category() != srs::srs_category() || r.error().message.empty())) {
        std::abort();
    }
}

std::string upper_tag(std::string_view sender) {
    std::string out(sender);
    for (std::size_t i = 0; i < 3; ++i) {
        out[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[i])));
    }
    return out;
}

// "SRS0" and one of the separators SRS allows after a tag.
bool is_srs0_tag(std::string_view address) {
    return address.size() > 4 && address.starts_with("SRS0") &&
           std::string_view("=+-").find(address[4]) != std::string_view::npos;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view const text(reinterpret_cast<char const*>(data), size);
    srs::Keys const keys{"primary", "backup", srs::kDefaultTtl};
    auto const decoded = srs::reverse(text, keys, kNow);
    check_failure(decoded);
    if (decoded &&
        (decoded.value().size() >= text.size() || decoded.value().find('@') == std::string::npos)) {
        std::abort();
    }
    for (char const* key : {"primary", "backup"}) {
        auto const rewritten = srs::forward(text, "mx.example", key, kNow);
        check_failure(rewritten);
        if (!rewritten) {
            continue;
        }
        auto const back = srs::reverse(rewritten.value(), keys, kNow);
        check_failure(back);
        bool const srs0 = srs::is_srs(text) && (text[3] == '0');
        bool const srs1 = srs::is_srs(text) && (text[3] == '1');
        if (!srs0 && !srs1 && (!back || back.value() != text)) {
            std::abort(); // an ordinary sender always comes back whole
        }
        if (srs0 && back && back.value() != upper_tag(text)) {
            std::abort();
        }
        if (srs1 && back && !is_srs0_tag(back.value())) {
            std::abort();
        }
    }
    return 0;
}

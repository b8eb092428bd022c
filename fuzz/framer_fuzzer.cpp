// Fuzz target: the framer. Property: feeding the input whole and feeding it split at a point
// chosen by the input's first byte give the same frames (adjacent data chunks merged).
#include "smtpd/grammar/limits.hpp"
#include "smtpd/sm/framer.hpp"

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <vector>

namespace {

using namespace smtpd::sm;

void drain(Framer& framer, std::vector<Frame>& out) {
    for (;;) {
        std::optional<Frame> next = framer.next();
        if (!next.has_value()) {
            return;
        }
        Frame* f = &*next;
        if (auto* chunk = std::get_if<DataChunkFrame>(f); chunk && !out.empty()) {
            if (auto* last = std::get_if<DataChunkFrame>(&out.back())) {
                last->bytes += chunk->bytes;
                continue;
            }
        }
        // Enter DATA after any line starting with 'D', so both modes get exercised.
        auto const* line = std::get_if<LineFrame>(f);
        bool const enter_data = line != nullptr && !line->text.empty() && line->text[0] == 'D';
        out.push_back(std::move(*f));
        if (enter_data) {
            framer.set_mode(FramerMode::Data);
        }
    }
}

std::vector<Frame> run(std::string_view bytes, std::size_t cut) {
    Framer framer(smtpd::grammar::kMaxCommandLine, smtpd::grammar::kMaxTextLine);
    std::vector<Frame> out;
    framer.push(bytes.substr(0, cut));
    drain(framer, out);
    framer.push(bytes.substr(cut));
    drain(framer, out);
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    std::string_view const bytes(reinterpret_cast<char const*>(data) + 1, size - 1);
    std::size_t const cut = bytes.empty() ? 0 : data[0] % (bytes.size() + 1);
    if (run(bytes, cut) != run(bytes, 0)) {
        std::abort();
    }
    return 0;
}

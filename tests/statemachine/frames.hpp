// Test helpers: run bytes through a Framer, split as the caller says, and collect the frames
// with adjacent DataChunks merged (the framer's split-invariance contract compares these).
// Depends on: statemachine/ (framer).
#pragma once

#include "smtpd/grammar/limits.hpp"
#include "smtpd/sm/framer.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace smtpd::sm::testing {

/// Pulls every available frame; a DataEnd switches back to command mode by itself, and a
/// "DATA" command line switches to data mode, as the session would after 354.
inline void drain(Framer& framer, std::vector<Frame>& out, bool data_after_data_cmd) {
    while (auto f = framer.next()) {
        if (auto* chunk = std::get_if<DataChunkFrame>(&*f)) {
            if (!out.empty()) {
                if (auto* last = std::get_if<DataChunkFrame>(&out.back())) {
                    last->bytes += chunk->bytes;
                    continue;
                }
            }
        }
        bool const is_data_cmd = data_after_data_cmd && std::holds_alternative<LineFrame>(*f) &&
                                 std::get<LineFrame>(*f).text == "DATA";
        out.push_back(std::move(*f));
        if (is_data_cmd) {
            framer.set_mode(FramerMode::Data);
        }
    }
}

/// Frames of `bytes` pushed in pieces of the given sizes (the rest in one last piece).
inline std::vector<Frame> frames_split(std::string_view bytes, std::vector<std::size_t> const& cuts,
                                       bool data_after_data_cmd = true) {
    Framer framer(grammar::kMaxCommandLine, grammar::kMaxTextLine);
    std::vector<Frame> out;
    for (std::size_t cut : cuts) {
        cut = std::min(cut, bytes.size());
        framer.push(bytes.substr(0, cut));
        bytes.remove_prefix(cut);
        drain(framer, out, data_after_data_cmd);
    }
    framer.push(bytes);
    drain(framer, out, data_after_data_cmd);
    return out;
}

inline std::vector<Frame> frames_whole(std::string_view bytes, bool data_after_data_cmd = true) {
    return frames_split(bytes, {}, data_after_data_cmd);
}

} // namespace smtpd::sm::testing

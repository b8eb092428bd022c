// smtpctl(8)'s pure part: the word-by-word resolution of a command, its request, the usage text
// and what a reply prints.
#include "control/smtpctl.hpp"

#include "common/queue_id.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

namespace smtpd::rt {

namespace {

Failure usage_error(std::string what) {
    return failure(std::make_error_code(std::errc::invalid_argument), std::move(what));
}

bool abbreviates(std::string_view given, std::string_view word) {
    return !given.empty() && word != kIdWord && word.starts_with(given);
}

/// A msgid or an evpid ("all" is a word of its own).
bool names_an_id(std::string_view given) {
    auto const target = parse_queue_target(given);
    return target.has_value() && target->kind != QueueTarget::Kind::All;
}

/// The distinct words at position `index` of `candidates` that `given` names: the one it
/// spells exactly, else every one it is a prefix of.
std::vector<std::string_view> words_named(std::vector<CtlCommand const*> const& candidates,
                                          std::size_t index, std::string_view given) {
    std::vector<std::string_view> named;
    for (CtlCommand const* c : candidates) {
        std::string_view const word = c->words.at(index);
        if (word == given && !word.empty() && word != kIdWord) {
            return {word};
        }
        if ((abbreviates(given, word) || (word == kIdWord && names_an_id(given))) &&
            std::find(named.begin(), named.end(), word) == named.end()) {
            named.push_back(word);
        }
    }
    return named;
}

std::string joined(std::span<std::string const> words) {
    return fmt::format("{}", fmt::join(words, " "));
}

} // namespace

Result<CtlCommand> parse_command(std::span<std::string const> words) {
    if (words.empty()) {
        return usage_error("missing command");
    }
    if (words.size() > kMaxCtlWords) {
        return usage_error("unknown command: " + joined(words));
    }
    std::vector<CtlCommand const*> candidates;
    candidates.reserve(kCtlCommands.size());
    for (CtlCommand const& c : kCtlCommands) {
        candidates.push_back(&c);
    }
    for (std::size_t i = 0; i < words.size(); ++i) {
        auto const named = words_named(candidates, i, words[i]);
        if (named.empty()) {
            return usage_error("unknown command: " + joined(words));
        }
        if (named.size() > 1) {
            return usage_error(
                fmt::format("ambiguous command: {} ({})", joined(words), fmt::join(named, ", ")));
        }
        std::erase_if(candidates, [&](CtlCommand const* c) { return c->words.at(i) != named[0]; });
    }
    // The words given must end the command: "show" alone is cut short.
    for (CtlCommand const* c : candidates) {
        if (words.size() == kMaxCtlWords || c->words.at(words.size()).empty()) {
            return *c;
        }
    }
    return usage_error("incomplete command: " + joined(words));
}

ipc::ControlRequest make_request(CtlCommand const& command, std::span<std::string const> words,
                                 ipc::RequestId id) {
    ipc::ControlRequest request{id, command.verb, {}};
    if (!command.arg.empty()) {
        request.args.emplace_back(command.arg);
    }
    for (std::size_t i = 0; i < words.size() && i < command.words.size(); ++i) {
        if (command.words.at(i) == kIdWord) {
            request.args.push_back(words[i]);
        }
    }
    return request;
}

std::string usage_text() {
    std::string text = "usage: smtpctl [-s socket] command [argument ...]\n"
                       "       mailq [-s socket]\n"
                       "commands:\n";
    std::vector<std::string> names;
    std::size_t width = 0;
    for (CtlCommand const& c : kCtlCommands) {
        names.push_back(c.words[1].empty() ? std::string(c.words[0])
                                           : fmt::format("{} {}", c.words[0], c.words[1]));
        width = std::max(width, names.back().size());
    }
    // Two spaces at least between a command and its help: the columns stay readable.
    for (std::size_t i = 0; i < names.size(); ++i) {
        text += fmt::format("  {:<{}}{}\n", names[i], width + 2, kCtlCommands.at(i).help);
    }
    return text;
}

bool invoked_as_mailq(std::string_view argv0) {
    auto const slash = argv0.rfind('/');
    std::string_view const base = slash == std::string_view::npos ? argv0 : argv0.substr(slash + 1);
    return base == "mailq";
}

CtlPrint print_reply(CtlCommand const& command, ipc::ControlReply const& reply) {
    CtlPrint print;
    if (reply.ok) {
        print.out = reply.lines;
        if (print.out.empty() && command.output == CtlOutput::Confirmation) {
            print.out.emplace_back("command succeeded");
        }
        return print;
    }
    print.err = reply.lines;
    if (print.err.empty()) {
        print.err.emplace_back("command failed");
    }
    print.status = 1;
    return print;
}

} // namespace smtpd::rt

// smtpctl(8), and mailq(8), makemap(8) and newaliases(8) when run under those names (the last two
// also as `smtpctl makemap|newaliases ...`; runtime/table/makemap.hpp): the control client of
// smtpd. Parses -s and the command words (control/smtpctl.hpp), connects to the control socket,
// sends one ControlRequest in the IPC codec (docs/arch/ipc.md) and prints the ControlReply: an ok
// reply's lines on stdout, exit 0; a refused one's on stderr, exit 1; a failure to reach the
// daemon or read its reply is one line on stderr naming the socket, exit 1. Blocking I/O on a
// plain unix socket (common/connect); the reply is awaited at most kReplyTimeout.
// Depends on: runtime/control/smtpctl, runtime/ipc (codec, FrameReader), runtime/common,
// runtime/table (makemap).
#include "common/connect.hpp"
#include "common/fs.hpp"
#include "common/result.hpp"
#include "control/smtpctl.hpp"
#include "ipc/codec.hpp"
#include "ipc/frame_reader.hpp"
#include "table/makemap.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace {

using namespace smtpd;

/// How long smtpctl waits for the daemon (to connect, and for its reply).
constexpr std::chrono::seconds kReplyTimeout{60};
/// The one request's id; the reply must echo it.
constexpr ipc::RequestId kRequestId = 1;

struct CtlOptions {
    std::string socket = SMTPD_SOCKET;
    std::vector<std::string> words;
};

void print_usage() {
    std::fputs(rt::usage_text().c_str(), stderr);
}

/// -s and the command words; mailq takes no words and means "show queue".
std::optional<CtlOptions> parse_options(int argc, char** argv, bool mailq) {
    CtlOptions options;
    int ch = 0;
    // '+': options end at the first command word, as in smtpctl(8).
    while ((ch = ::getopt(argc, argv, "+hs:")) != -1) {
        switch (ch) {
        case 's':
            options.socket = optarg;
            break;
        case 'h':
            std::fputs(rt::usage_text().c_str(), stdout);
            std::exit(0);
        default:
            print_usage();
            return std::nullopt;
        }
    }
    options.words.assign(argv + optind, argv + argc);
    if (mailq) {
        if (!options.words.empty()) {
            print_usage();
            return std::nullopt;
        }
        options.words = {"show", "queue"};
    }
    return options;
}

rt::Failure socket_failure(std::string const& path, std::error_code code) {
    return rt::failure(code, fmt::format("{}: {}", path, code.message()));
}

rt::Result<void> send_request(int fd, std::string const& path, ipc::ControlRequest const& request) {
    auto frame = ipc::encode(request);
    if (!frame) {
        return socket_failure(path, frame.error().code);
    }
    std::string_view const bytes(reinterpret_cast<char const*>(frame.value().data()),
                                 frame.value().size());
    if (auto written = rt::write_all(fd, bytes); !written) {
        return socket_failure(path, written.error().code);
    }
    return rt::success();
}

/// Reads until one whole frame; it must be the ControlReply to kRequestId.
rt::Result<ipc::ControlReply> read_reply(int fd, std::string const& path) {
    ipc::FrameReader reader;
    std::array<std::byte, 4096> chunk{};
    for (;;) {
        auto frame = reader.next();
        if (!frame) {
            return socket_failure(path, frame.error().code);
        }
        if (std::optional<std::vector<std::byte>> const& bytes = frame.value(); bytes) {
            auto decoded = ipc::decode_frame(*bytes);
            if (!decoded) {
                return socket_failure(path, decoded.error().code);
            }
            auto* reply = std::get_if<ipc::ControlReply>(&decoded.value().message);
            if (reply == nullptr || decoded.value().has_fd || reply->id != kRequestId) {
                return rt::failure(std::make_error_code(std::errc::protocol_error),
                                   path + ": not a reply to this request");
            }
            return std::move(*reply);
        }
        ssize_t const n = ::read(fd, chunk.data(), chunk.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return rt::failure(
                std::make_error_code(std::errc::timed_out),
                fmt::format("{}: no reply within {} s", path, kReplyTimeout.count()));
        }
        if (n < 0) {
            return socket_failure(path, rt::last_error());
        }
        if (n == 0) {
            return rt::failure(std::make_error_code(std::errc::connection_aborted),
                               path + ": connection closed without a reply");
        }
        reader.feed(std::span<std::byte const>(chunk.data(), static_cast<std::size_t>(n)));
    }
}

int run(CtlOptions const& options) {
    auto command = rt::parse_command(options.words);
    if (!command) {
        std::fprintf(stderr, "smtpctl: %s\n", command.error().what().c_str());
        print_usage();
        return 1;
    }
    // The reply is awaited at most kReplyTimeout: connect_unix leaves it on each read.
    auto fd = rt::connect_unix(options.socket, kReplyTimeout);
    if (!fd) {
        std::fprintf(stderr, "smtpctl: %s\n", fd.error().what().c_str());
        return 1;
    }
    auto sent = send_request(fd.value().get(), options.socket,
                             rt::make_request(command.value(), options.words, kRequestId));
    if (!sent) {
        std::fprintf(stderr, "smtpctl: %s\n", sent.error().what().c_str());
        return 1;
    }
    auto reply = read_reply(fd.value().get(), options.socket);
    if (!reply) {
        std::fprintf(stderr, "smtpctl: %s\n", reply.error().what().c_str());
        return 1;
    }
    rt::CtlPrint const print = rt::print_reply(command.value(), reply.value());
    for (auto const& line : print.out) {
        std::printf("%s\n", line.c_str());
    }
    for (auto const& line : print.err) {
        std::fprintf(stderr, "%s\n", line.c_str());
    }
    return print.status;
}

} // namespace

int main(int argc, char** argv) {
    // A daemon that goes away mid-request is reported from write(2)'s EPIPE, not by a signal.
    std::signal(SIGPIPE, SIG_IGN);
    bool const mailq = argc > 0 && rt::invoked_as_mailq(argv[0]);
    try {
        // makemap(8) and newaliases(8): by name, or as `smtpctl makemap ...` (OpenSMTPD's).
        for (auto const& [name, program] :
             {std::pair{"makemap", rt::table::MapProgram::Makemap},
              std::pair{"newaliases", rt::table::MapProgram::Newaliases}}) {
            if (argc > 0 && rt::table::invoked_as(argv[0], name)) {
                return rt::table::run_makemap(program, argc, argv);
            }
            if (argc > 1 && std::string_view(argv[1]) == name) {
                return rt::table::run_makemap(program, argc - 1, argv + 1);
            }
        }
        auto options = parse_options(argc, argv, mailq);
        if (!options) {
            return 1;
        }
        return run(*options);
    } catch (std::exception const& e) {
        std::fprintf(stderr, "smtpctl: %s\n", e.what());
        return 1;
    }
}

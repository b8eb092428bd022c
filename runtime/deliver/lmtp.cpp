// LMTP delivery: connect (unix socket, or TCP by getaddrinfo trying each address, each connect
// bounded by common/connect), then drive sm::ClientConnection: perform its actions (send
// bytes, stream the body from the spool in pieces through sm::BodyEncoder, record the result,
// quit when Idle) and read when it needs bytes. SO_RCVTIMEO / SO_SNDTIMEO bound each read and
// write; a timeout becomes timeout(), a failed write or EOF peer_closed(). TLS is not used (local
// delivery). send(2) with MSG_NOSIGNAL: a peer that went away must not raise SIGPIPE.
#include "deliver/lmtp.hpp"

#include "deliver/message_source.hpp"

#include "common/connect.hpp"
#include "common/fs.hpp"
#include "common/result.hpp"
#include "conf/lmtp_destination.hpp"
#include "smtpd/sm/body_encoder.hpp"
#include "smtpd/sm/client_connection.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <fmt/format.h>
#include <memory>
#include <netdb.h>
#include <optional>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <variant>

namespace smtpd::rt {

namespace {

using Kind = DeliveryOutcome::Kind;

Failure sys_failure(std::string_view what, std::error_code ec) {
    return failure(ec, fmt::format("{}: {}", what, ec.message()));
}

Result<Fd> connect_tcp(conf::LmtpDestination const& d, std::chrono::milliseconds timeout) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
    addrinfo* list = nullptr;
    std::string const where = fmt::format("[{}]:{}", d.host, d.port);
    std::string const port = std::to_string(d.port);
    if (int const rc = ::getaddrinfo(d.host.c_str(), port.c_str(), &hints, &list)) {
        return failure(std::make_error_code(std::errc::host_unreachable),
                       fmt::format("{}: {}", where, ::gai_strerror(rc)));
    }
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> const owner(list, ::freeaddrinfo);
    std::error_code last = std::make_error_code(std::errc::host_unreachable);
    for (addrinfo const* ai = list; ai != nullptr; ai = ai->ai_next) {
        Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
        if (!fd.valid()) {
            last = last_error();
            continue;
        }
        auto r = connect_bounded(fd.get(), ai->ai_addr, ai->ai_addrlen, timeout);
        if (r) {
            return fd;
        }
        last = r.error().code;
    }
    return sys_failure("connect to " + where, last);
}

// The message as the driver streams it: the prepended lines (LF line ends: the encoder makes
// them CRLF), then the spool file, read in pieces when ClientSendBody asks.
struct BodySource {
    std::string_view prepend;
    Fd file;
    std::uint64_t start = 0; ///< where the message starts in `file`
    std::uint64_t size = 0;  ///< octets with CRLF line ends (SIZE), as near as we can tell
};

Result<BodySource> open_body(LmtpDelivery const& d) {
    auto file = open_message(d.message_path, d.message_fd);
    if (!file) {
        return sys_failure(d.message_path, file.error().code);
    }
    auto content = content_here(file.value().get());
    Result<std::uint64_t> size = content ? content_size(content.value()) : content.error();
    if (!size) {
        return sys_failure(d.message_path, size.error().code);
    }
    auto const lines =
        static_cast<std::uint64_t>(std::count(d.prepend.begin(), d.prepend.end(), '\n'));
    return BodySource{d.prepend, std::move(file).value(), content.value().start,
                      d.prepend.size() + lines + size.value()};
}

/// Writes all of `bytes`; false when the peer is gone or the write timed out (`timed_out`).
bool write_all_bounded(int fd, std::string_view bytes, bool& timed_out) {
    while (!bytes.empty()) {
        ssize_t const n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            timed_out = n < 0 && errno == EAGAIN;
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

/// Writes the body through an encoder of `framing`: the prepended lines, then the spool file in
/// pieces; false when a write fails (`timed_out` as above) or the file cannot be read.
bool write_body(int fd, BodySource& body, sm::BodyEncoder& encoder, bool& timed_out) {
    if (!write_all_bounded(fd, encoder.encode(body.prepend), timed_out) ||
        ::lseek(body.file.get(), static_cast<off_t>(body.start), SEEK_SET) < 0) {
        return false;
    }
    auto sent = for_each_piece(body.file.get(), {}, [&](std::string_view piece) -> Result<void> {
        if (!write_all_bounded(fd, encoder.encode(piece), timed_out)) {
            return std::make_error_code(std::errc::broken_pipe); // the peer is gone
        }
        return success();
    });
    return sent && write_all_bounded(fd, encoder.finish(), timed_out);
}

/// Drives the client connection over the socket until it is finished; the first recipient's
/// result, if any came.
std::optional<sm::ClientRecipientResult> converse(int fd, sm::ClientConnection& c,
                                                  BodySource& body) {
    std::optional<sm::ClientRecipientResult> result;
    bool lost = false;
    // Every (state, event) has a row, so an error value means the session is over.
    bool refused = false;
    c.set_observer([&refused](sm::ClientStepRecord const& r) {
        refused = refused || r.step.error != sm::ClientStepError::None;
    });
    for (;;) {
        sm::ClientNext next = c.next_action();
        if (refused || std::holds_alternative<sm::ClientFinished>(next)) {
            return result;
        }
        bool timed_out = false;
        bool wrote = true;
        if (auto const* send = std::get_if<sm::ClientSend>(&next)) {
            wrote = lost || write_all_bounded(fd, send->bytes, timed_out);
        } else if (auto const* send_body = std::get_if<sm::ClientSendBody>(&next)) {
            sm::BodyEncoder encoder(send_body->framing);
            wrote = lost || write_body(fd, body, encoder, timed_out);
            if (wrote && !lost) {
                c.body_written(encoder.bdat_commands());
            }
        } else if (std::holds_alternative<sm::ClientIdle>(next)) {
            c.quit(); // one message per LMTP session
        } else if (auto const* r = std::get_if<sm::ClientRecipientResult>(&next)) {
            if (!result) {
                result = *r;
            }
        } else if (std::holds_alternative<sm::ClientPaused>(next)) {
            c.tls_done(false); // never asked for: TLS is off
        } else if (std::holds_alternative<sm::ClientNeedData>(next)) {
            std::array<char, 4096> buf{};
            ssize_t const n = ::recv(fd, buf.data(), buf.size(), 0);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0 && errno == EAGAIN) {
                c.timeout();
            } else if (n <= 0) {
                c.peer_closed();
            } else {
                c.receive({buf.data(), static_cast<std::size_t>(n)});
            }
        }
        if (!wrote) {
            lost = true;
            if (timed_out) {
                c.timeout();
            } else {
                c.peer_closed();
            }
        }
        // ClientClose: the connection is finished right after; ClientDone: counted above.
    }
}

Result<Fd> connect_destination(LmtpDelivery const& d) {
    auto const parsed = conf::parse_lmtp_destination(d.destination);
    if (!parsed.destination) {
        return failure(std::make_error_code(std::errc::invalid_argument),
                       fmt::format("destination \"{}\": {}", d.destination, parsed.error));
    }
    auto const& dest = *parsed.destination;
    return dest.unix_socket ? connect_unix(dest.host, d.timeout) : connect_tcp(dest, d.timeout);
}

} // namespace

DeliveryOutcome deliver_lmtp(LmtpDelivery const& d) {
    auto body = open_body(d);
    if (!body) {
        return {Kind::TempFail, body.error().message};
    }
    auto socket = connect_destination(d);
    if (!socket) {
        return {Kind::TempFail, "lmtp: " + socket.error().message};
    }
    sm::ClientParams params;
    params.helo = d.lhlo;
    params.lmtp = true;
    params.tls = sm::ClientTlsPolicy::None;
    sm::ClientMessage message;
    message.sender = sm::path_of(d.sender);
    message.recipients.push_back(sm::Recipient{sm::path_of(d.rcpt_to), {}});
    message.size = body.value().size;
    Fd const fd = std::move(socket).value();
    sm::ClientConnection connection(std::move(params), std::move(message));
    auto const result = converse(fd.get(), connection, body.value());
    if (!result) {
        return {Kind::TempFail, "lmtp: no reply for the recipient"};
    }
    return {sm::delivery_status(result->outcome), sm::client_reply_text(result->reply)};
}

} // namespace smtpd::rt

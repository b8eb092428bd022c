// run_session (see client_session.hpp). Once a write has failed nothing more is written: the
// machine hears peer_closed() (or timeout()) and ends the session with its results. A step the
// table refuses ends the session too: every (state, event) has a row, so it means the machine is
// done with this connection.
#include "mta/client_session.hpp"

#include "common/fs.hpp"
#include "smtpd/sm/body_encoder.hpp"

#include <array>
#include <unistd.h>
#include <variant>

namespace smtpd::rt::mta {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kBodyPiece = std::size_t{64} * 1024;

/// Streams the current message through an encoder of `framing`; false when a write fails or
/// the spool file cannot be read (the session then ends as if the peer had gone: nothing
/// half-sent is ever taken for a delivery). Each piece is written once the next is read, so the
/// last one goes with the end of data in one write: no end of data left waiting on its own for
/// an acknowledgement.
asio::awaitable<bool> write_body(SmtpStream& stream, MessageContent body,
                                 sm::BodyEncoder& encoder) {
    int const fd = body.fd;
    if (::lseek(fd, static_cast<off_t>(body.start), SEEK_SET) < 0) {
        co_return false;
    }
    std::vector<char> buffer(kBodyPiece);
    std::string held;
    for (;;) {
        auto const n = read_piece(fd, buffer);
        if (!n) {
            co_return false;
        }
        if (n.value() == 0) {
            break;
        }
        std::string next = encoder.encode(std::string_view(buffer.data(), n.value()));
        if (!held.empty()) {
            auto writing = stream.write(held);
            if (!co_await std::move(writing)) {
                co_return false;
            }
        }
        held = std::move(next);
    }
    held += encoder.finish();
    auto writing = stream.write(held);
    co_return co_await std::move(writing);
}

} // namespace

asio::awaitable<SessionRun> run_session(SmtpStream& stream, sm::ClientConnection& connection,
                                        SessionHooks const& hooks, bool keep_idle) {
    SessionRun run;
    bool refused = false;
    connection.set_observer([&refused](sm::ClientStepRecord const& r) {
        refused = refused || r.step.error != sm::ClientStepError::None;
    });
    // The observer refers to this frame: gone with it, before the next run's send_message().
    struct Unobserve {
        explicit Unobserve(sm::ClientConnection& target) : c(target) {}
        Unobserve(Unobserve const&) = delete;
        Unobserve& operator=(Unobserve const&) = delete;
        ~Unobserve() { c.set_observer({}); }
        sm::ClientConnection& c;
    } const unobserve(connection);
    bool lost = false; // a write failed: write nothing more
    std::array<char, 4096> input{};
    for (;;) {
        sm::ClientNext next = connection.next_action();
        if (refused || std::holds_alternative<sm::ClientFinished>(next)) {
            co_return run;
        }
        bool wrote = true;
        if (auto const* send = std::get_if<sm::ClientSend>(&next)) {
            if (!lost) {
                auto writing = stream.write(send->bytes);
                wrote = co_await std::move(writing);
            }
        } else if (auto const* body = std::get_if<sm::ClientSendBody>(&next)) {
            if (!lost) {
                sm::BodyEncoder encoder(body->framing);
                auto writing = write_body(stream, hooks.body(), encoder);
                wrote = co_await std::move(writing);
                if (wrote) {
                    connection.body_written(encoder.bdat_commands());
                }
            }
        } else if (auto const* tls = std::get_if<sm::ClientStartTls>(&next)) {
            auto starting = hooks.start_tls(tls->server_name);
            bool const ok = co_await std::move(starting);
            connection.tls_done(ok);
        } else if (auto const* result = std::get_if<sm::ClientRecipientResult>(&next)) {
            hooks.on_result(*result);
        } else if (std::holds_alternative<sm::ClientIdle>(next)) {
            if (auto message = hooks.next_message()) {
                connection.send_message(std::move(*message));
            } else if (keep_idle && !lost) {
                run.idle = true;
                co_return run;
            } else {
                connection.quit();
            }
        } else if (std::holds_alternative<sm::ClientNeedData>(next)) {
            auto const timeout = sm::client_timeout_duration(connection.current_timeout());
            auto reading = stream.read_some(input, timeout);
            std::size_t const n = co_await std::move(reading);
            if (n > 0) {
                if (hooks.on_input) {
                    hooks.on_input();
                }
                connection.receive(std::string_view(input.data(), n));
            } else if (stream.timed_out()) {
                connection.timeout();
            } else {
                connection.peer_closed();
            }
        } else if (std::holds_alternative<sm::ClientPaused>(next)) {
            co_return run; // nothing pending is ours to answer: every answer above is given at once
        }
        // ClientClose: the machine finishes right after; ClientDone: the caller counts results.
        if (!wrote) {
            lost = true;
            connection.peer_closed();
        }
    }
}

} // namespace smtpd::rt::mta

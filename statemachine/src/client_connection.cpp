// The client connection's loop, the only one: server bytes through the assembler, each whole
// reply (or the reason there is none) through client_step(), the actions queued for the driver
// in order; while the driver owes an answer (handshake, body, next message) no reply is read.
// RFC 3207 §4.2: what the server sent in clear behind the 220 to STARTTLS, and anything handed
// in before the handshake's end, is dropped, never read as a reply from inside TLS (the
// STARTTLS response injection class).
// Depends on: client_connection.hpp.
#include "smtpd/sm/client_connection.hpp"

#include <utility>

namespace smtpd::sm {

ClientConnection::ClientConnection(ClientParams params, ClientMessage message,
                                   std::span<ClientRow const> table)
    : table_(table), session_(client_session(std::move(params), std::move(message))) {}

void ClientConnection::receive(std::string_view bytes) {
    if (tls_pending_) {
        return; // plaintext from before the handshake: no reply inside TLS
    }
    input_.erase(0, std::exchange(offset_, 0));
    input_ += bytes;
}

ClientNext ClientConnection::next_action() {
    while (out_.empty()) {
        if (closed()) {
            return ClientFinished{};
        }
        if (session_.state == ClientState::Handshake || session_.state == ClientState::Body) {
            return ClientPaused{};
        }
        if (session_.state == ClientState::Idle) {
            return ClientIdle{};
        }
        auto reply = assembler_.take();
        if (!reply) {
            if (offset_ == input_.size()) {
                return ClientNeedData{};
            }
            offset_ += assembler_.feed(std::string_view(input_).substr(offset_));
            continue;
        }
        if (auto const* r = std::get_if<grammar::Reply>(&*reply)) {
            feed(ClientReply{*r});
        } else {
            feed(ClientBadReply{std::get<ClientReplyError>(*reply)});
        }
    }
    ClientNext next = std::move(out_.front());
    out_.pop_front();
    return next;
}

void ClientConnection::tls_done(bool ok) {
    tls_pending_ = false;
    feed(ClientTlsDone{ok});
}
void ClientConnection::body_written(std::size_t bdat_commands) {
    feed(ClientBodyWritten{bdat_commands});
}
void ClientConnection::send_message(ClientMessage message) {
    feed(ClientSubmit{std::move(message)});
}
void ClientConnection::quit() {
    feed(ClientQuitRequest{});
}
void ClientConnection::timeout() {
    feed(ClientTimeout{});
}
void ClientConnection::peer_closed() {
    feed(ClientPeerClosed{});
}

void ClientConnection::feed(ClientEvent const& event) {
    ClientState const from = session_.state;
    ClientStep result = client_step(std::move(session_), event, table_);
    if (observer_) {
        observer_(ClientStepRecord{from, event, result});
    }
    session_ = std::move(result.next);
    for (auto& action : result.actions) {
        if (std::holds_alternative<ClientStartTls>(action)) {
            // RFC 3207 §4.2: the bytes after the 220 came in clear; the replies to come are
            // read from inside TLS only.
            tls_pending_ = true;
            input_.clear();
            offset_ = 0;
            assembler_ = ClientReplyAssembler{};
        }
        std::visit([this](auto& a) { out_.emplace_back(std::move(a)); }, action);
    }
}

} // namespace smtpd::sm

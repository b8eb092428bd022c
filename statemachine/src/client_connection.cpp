// The client connection's loop, the only one: server bytes through the assembler, each whole
// reply (or the reason there is none) through client_step(), the actions queued for the driver
// in order; while the driver owes an answer (handshake, body, next message) no reply is read.
// Depends on: client_connection.hpp.
#include "smtpd/sm/client_connection.hpp"

#include <utility>

namespace smtpd::sm {

ClientConnection::ClientConnection(ClientParams params, ClientMessage message,
                                   std::span<ClientRow const> table)
    : table_(table), session_(client_session(std::move(params), std::move(message))) {}

void ClientConnection::receive(std::string_view bytes) {
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
        std::visit([this](auto& a) { out_.emplace_back(std::move(a)); }, action);
    }
}

} // namespace smtpd::sm

// The client session's transition table: the only place client transitions live (h11 rule 1).
// Predicates read the session only (the event's kind is the reply's class); effects are named
// and declare the facts they change; what a row sends is a column (render_send, client_wire.cpp).
// RFC 5321 §3.3, §3.8 (421), §4.2.1 (classes), RFC 2920 §3.1, RFC 3207 §4, RFC 4954 §4,
// RFC 1870 §4, RFC 6152 §3, RFC 6531 §3.5 (5.6.7), RFC 3030 §2, RFC 2033 §4.2-4.3.
#include "smtpd/sm/client.hpp"

#include <array>
#include <optional>
#include <utility>

namespace smtpd::sm {

namespace {

using K = ClientEventKind;
using S = ClientState;
using P = ClientPred;
using X = ClientSendKind;
using grammar::Extension;

// --- predicates ---

bool offers(ClientSession const& s, Extension e) {
    return s.offer.extensions.has(e);
}

using E = ClientEvent const&;

unsigned code_of(ClientEvent const& e) {
    auto const* r = std::get_if<ClientReply>(&e);
    return r != nullptr ? r->reply.code : 0U;
}

constexpr auto kPreds = std::to_array<ClientPredInfo>({
    {"tls_active", [](ClientSession const& s, E) { return s.tls; }},
    {"authenticated", [](ClientSession const& s, E) { return s.authenticated; }},
    {"pipelined", [](ClientSession const& s, E) { return s.pipelined; }},
    {"any_accepted", [](ClientSession const& s, E) { return !s.accepted.empty(); }},
    {"tls_wanted",
     [](ClientSession const& s, E) {
         return s.params.tls != ClientTlsPolicy::None && !s.tls_tried;
     }},
    {"tx_open", [](ClientSession const& s, E) { return s.tx_open; }},
    {"lmtp", [](ClientSession const& s, E) { return s.params.lmtp; }},
    {"tls_required",
     [](ClientSession const& s, E) { return s.params.tls == ClientTlsPolicy::Required; }},
    {"has_credentials",
     [](ClientSession const& s, E) { return s.params.credentials.has_value(); }},
    {"auth_in_clear", [](ClientSession const& s, E) { return s.params.auth_in_clear; }},
    {"has_recipients", [](ClientSession const& s, E) { return !s.message.recipients.empty(); }},
    {"needs_8bit",
     [](ClientSession const& s, E) { return s.message.mail.body == Body::EightBitMime; }},
    {"needs_utf8", [](ClientSession const& s, E) { return s.message.mail.smtputf8; }},
    {"starttls_offered", [](ClientSession const& s, E) { return offers(s, Extension::StartTls); }},
    {"auth_plain_offered",
     [](ClientSession const& s, E) { return offers(s, Extension::Auth) && s.offer.auth_plain; }},
    {"auth_login_offered",
     [](ClientSession const& s, E) { return offers(s, Extension::Auth) && s.offer.auth_login; }},
    {"pipelining_offered",
     [](ClientSession const& s, E) { return offers(s, Extension::Pipelining); }},
    {"chunking_offered", [](ClientSession const& s, E) { return offers(s, Extension::Chunking); }},
    {"8bitmime_offered",
     [](ClientSession const& s, E) { return offers(s, Extension::EightBitMime); }},
    {"smtputf8_offered", [](ClientSession const& s, E) { return offers(s, Extension::SmtpUtf8); }},
    // RFC 1870 §4: a message over the server's declared SIZE would be refused; do not send it.
    {"too_big",
     [](ClientSession const& s, E) {
         return offers(s, Extension::Size) && s.offer.size_limit != 0 &&
                s.message.size > s.offer.size_limit;
     }},
    // Replies still due to RCPTs sent, or RCPTs still to send unless a 452 capped them.
    {"more_recipients",
     [](ClientSession const& s, E) {
         return s.rcpt_replies < s.message.recipients.size() &&
                !(s.capped && s.rcpt_replies >= s.rcpt_sent);
     }},
    {"more_lmtp_replies",
     [](ClientSession const& s, E) { return s.content_replies + 1 < s.accepted.size(); }},
    {"more_chunk_replies",
     [](ClientSession const& s, E) { return s.chunk_replies + 1 < s.bdat_commands; }},
    // RFC 5321 §4.5.3.1.10: 452 is "too many recipients" (a 552 may be meant so too, but is
    // also the permanent "exceeded storage allocation": only 452 defers).
    {"too_many_recipients", [](ClientSession const&, E e) { return code_of(e) == 452U; }},
});
static_assert(kPreds.size() == kClientPredCount, "one ClientPredInfo per ClientPred");

constexpr bool preds_in_enum_order() {
    auto const names = std::to_array<std::pair<P, std::string_view>>({
        {P::TlsActive, "tls_active"},
        {P::TlsWanted, "tls_wanted"},
        {P::TxOpen, "tx_open"},
        {P::Lmtp, "lmtp"},
        {P::NeedsUtf8, "needs_utf8"},
        {P::StartTlsOffered, "starttls_offered"},
        {P::Utf8Offered, "smtputf8_offered"},
        {P::TooBig, "too_big"},
        {P::MoreLmtpReplies, "more_lmtp_replies"},
        {P::TooManyRecipients, "too_many_recipients"},
    });
    for (auto const& [pred, name] : names) {
        if (kPreds.at(static_cast<std::size_t>(pred)).name != name) {
            return false;
        }
    }
    return true;
}
static_assert(preds_in_enum_order(), "kPreds is in the order of ClientPred");

// --- the replies made here, in one table: {code, enhanced code, text} ---

enum class Failure : unsigned char {
    TlsUnavailable,
    TlsFailed,
    AuthNeedsTls,
    AuthUnavailable,
    TooBig,
    EightBit,
    Utf8,
    Malformed,
    Unexpected,
    Timeout,
    ConnectionLost,
};

grammar::Reply failure_reply(Failure f) {
    struct Text {
        unsigned code;
        grammar::EnhancedCode enhanced;
        char const* text;
    };
    static constexpr auto kTexts = std::to_array<Text>({
        {451, {4, 7, 10}, "4.7.10 TLS required but not offered by the remote host"},
        {451, {4, 7, 5}, "4.7.5 TLS handshake with the remote host failed"},
        {451, {4, 7, 11}, "4.7.11 Refusing to authenticate over an unencrypted channel"},
        {451, {4, 7, 0}, "4.7.0 Remote host offers no usable AUTH mechanism"},
        {552, {5, 3, 4}, "5.3.4 Message exceeds the remote host's size limit"},
        {554, {5, 6, 3}, "5.6.3 8-bit message but the remote host lacks 8BITMIME"},
        {553, {5, 6, 7}, "5.6.7 SMTPUTF8 required but not offered by the remote host"},
        {451, {4, 5, 0}, "4.5.0 Malformed reply from the remote host"},
        {451, {4, 5, 0}, "4.5.0 Unexpected reply from the remote host"},
        {451, {4, 4, 2}, "4.4.2 Timeout talking to the remote host"},
        {451, {4, 4, 2}, "4.4.2 Connection to the remote host lost"},
    });
    Text const& t = kTexts.at(static_cast<std::size_t>(f));
    return grammar::Reply{t.code, t.enhanced, {t.text}};
}

// --- effects ---

ClientOutcome outcome_of(unsigned code) {
    if (code / 100 == 2) {
        return ClientOutcome::Delivered;
    }
    return code / 100 == 5 ? ClientOutcome::PermFail : ClientOutcome::TempFail;
}

grammar::Reply const& reply_of(ClientEvent const& e) {
    static grammar::Reply const none{};
    auto const* r = std::get_if<ClientReply>(&e);
    return r != nullptr ? r->reply : none;
}

void count(ClientDone& totals, ClientOutcome o) {
    switch (o) {
    case ClientOutcome::Delivered:
        ++totals.delivered;
        return;
    case ClientOutcome::TempFail:
        ++totals.temp_failed;
        return;
    case ClientOutcome::PermFail:
        ++totals.perm_failed;
        return;
    case ClientOutcome::Deferred:
        ++totals.deferred;
        return;
    }
}

void settle(ClientSession& s, std::size_t index, ClientOutcome o, grammar::Reply const& reply,
            ClientActions& out) {
    if (index >= s.outcomes.size() || s.outcomes[index].has_value()) {
        return; // decided already: every recipient has one result
    }
    s.outcomes[index] = o;
    count(s.totals, o);
    // RFC 3461 §5.2.2, §6.2.3: without DSN at the next hop, NOTIFY=SUCCESS becomes the
    // runtime's "relayed" notice.
    bool const relayed = o == ClientOutcome::Delivered &&
                         (s.message.recipients[index].options.notify & kNotifySuccess) != 0 &&
                         !offers(s, Extension::Dsn);
    out.emplace_back(ClientRecipientResult{index, o, bounded_reply(reply), relayed});
}

void settle_pending(ClientSession& s, ClientOutcome o, grammar::Reply const& reply,
                    ClientActions& out) {
    for (std::size_t i = 0; i < s.outcomes.size(); ++i) {
        settle(s, i, o, reply, out);
    }
}

void nothing(ClientSession&, ClientEvent const&, ClientActions&) {}

/// Every recipient not yet decided fails as the reply's class says.
void refuse_message(ClientSession& s, ClientEvent const& e, ClientActions& out) {
    settle_pending(s, outcome_of(reply_of(e).code), reply_of(e), out);
}

/// Every recipient not yet decided fails temporarily, whatever the reply's class.
void defer_message(ClientSession& s, ClientEvent const& e, ClientActions& out) {
    settle_pending(s, ClientOutcome::TempFail, reply_of(e), out);
}

template <Failure F> void fail(ClientSession& s, ClientEvent const&, ClientActions& out) {
    grammar::Reply const r = failure_reply(F);
    settle_pending(s, outcome_of(r.code), r, out);
}

void close_session(ClientSession& s, ClientEvent const& e, ClientActions& out) {
    fail<Failure::ConnectionLost>(s, e, out); // none left in practice; the invariant holds
    out.emplace_back(ClientClose{});
    out.emplace_back(s.totals);
}

template <Failure F>
void fail_and_close(ClientSession& s, ClientEvent const& e, ClientActions& out) {
    fail<F>(s, e, out);
    close_session(s, e, out);
}

// RFC 5321 §3.8: 421 may answer any command; the server is closing the channel.
void close_on_421(ClientSession& s, ClientEvent const& e, ClientActions& out) {
    defer_message(s, e, out);
    close_session(s, e, out);
}

void record_offer(ClientSession& s, ClientEvent const& e, ClientActions&) {
    s.offer = parse_offer(reply_of(e));
    s.esmtp = true;
}

void record_helo(ClientSession& s, ClientEvent const&, ClientActions&) {
    s.offer = {};
    s.esmtp = false;
}

void start_handshake(ClientSession& s, ClientEvent const&, ClientActions& out) {
    out.emplace_back(ClientStartTls{s.params.server_name});
}

void tls_refused(ClientSession& s, ClientEvent const&, ClientActions&) {
    s.tls_tried = true;
}

// RFC 3207 §4.2: "the client MUST discard any knowledge obtained from the server".
void tls_started(ClientSession& s, ClientEvent const&, ClientActions&) {
    s.tls = true;
    s.esmtp = false;
    s.authenticated = false;
    s.offer = {};
}

void authenticated(ClientSession& s, ClientEvent const&, ClientActions&) {
    s.authenticated = true;
}

void open_tx(ClientSession& s, ClientEvent const&, ClientActions&) {
    s.tx_open = true;
}

void sent_group(ClientSession& s, ClientEvent const& e, ClientActions& out) {
    open_tx(s, e, out);
    s.pipelined = true;
    s.rcpt_sent = s.message.recipients.size();
}

void sent_rcpt(ClientSession& s, ClientEvent const&, ClientActions&) {
    ++s.rcpt_sent;
}

void rcpt_accepted(ClientSession& s, ClientEvent const&, ClientActions&) {
    std::size_t const index = s.rcpt_replies++;
    if (index < s.outcomes.size() && !s.outcomes[index]) {
        s.accepted.push_back(index); // not after a refused MAIL in the same group
    }
}

void rcpt_refused(ClientSession& s, ClientEvent const& e, ClientActions& out) {
    std::size_t const index = s.rcpt_replies++;
    settle(s, index, outcome_of(reply_of(e).code), reply_of(e), out);
}

// RFC 5321 §4.5.3.1.10: the server's recipient buffer is full. This recipient, and those not
// yet sent, go in a new transaction; RCPTs already in the pipeline are still answered.
void rcpt_deferred(ClientSession& s, ClientEvent const& e, ClientActions& out) {
    std::size_t const index = s.rcpt_replies++;
    s.capped = true;
    settle(s, index, ClientOutcome::Deferred, reply_of(e), out);
    for (std::size_t i = s.rcpt_sent; i < s.outcomes.size(); ++i) {
        settle(s, i, ClientOutcome::Deferred, reply_of(e), out);
    }
}

void body_written(ClientSession& s, ClientEvent const& e, ClientActions&) {
    auto const* w = std::get_if<ClientBodyWritten>(&e);
    s.bdat_commands = w != nullptr ? w->bdat_commands : 0;
}

void chunk_accepted(ClientSession& s, ClientEvent const&, ClientActions&) {
    ++s.chunk_replies;
}

// RFC 3030 §2: a 4xx or 5xx to a chunk fails the transaction; the chunks after it in the
// pipeline get replies we cannot match, so the connection ends.
void chunk_refused(ClientSession& s, ClientEvent const& e, ClientActions& out) {
    for (std::size_t const index : s.accepted) {
        settle(s, index, outcome_of(reply_of(e).code), reply_of(e), out);
    }
}

// RFC 5321 §4.1.1.4: one reply for the message and every accepted recipient; it ends the
// transaction, whatever its class.
void content_result(ClientSession& s, ClientEvent const& e, ClientActions& out) {
    for (std::size_t const index : s.accepted) {
        settle(s, index, outcome_of(reply_of(e).code), reply_of(e), out);
    }
    s.tx_open = false;
}

// RFC 2033 §4.2, §4.3: one reply per accepted recipient, in RCPT order.
void lmtp_result(ClientSession& s, ClientEvent const& e, ClientActions& out) {
    std::size_t const n = s.content_replies++;
    if (n < s.accepted.size()) {
        settle(s, s.accepted[n], outcome_of(reply_of(e).code), reply_of(e), out);
    }
}

void lmtp_last_result(ClientSession& s, ClientEvent const& e, ClientActions& out) {
    lmtp_result(s, e, out);
    s.tx_open = false;
}

void end_tx(ClientSession& s, ClientEvent const&, ClientActions&) {
    s.tx_open = false;
}

/// The driver's next message: a new transaction, every per-message counter from zero.
void start_message(ClientSession& s, ClientEvent const& e, ClientActions&) {
    auto const* submit = std::get_if<ClientSubmit>(&e);
    s.message = submit != nullptr ? submit->message : ClientMessage{};
    s.outcomes.assign(s.message.recipients.size(), std::nullopt);
    s.accepted.clear();
    s.pipelined = false;
    s.content_sent = false;
    s.capped = false;
    s.rcpt_sent = 0;
    s.rcpt_replies = 0;
    s.bdat_commands = 0;
    s.chunk_replies = 0;
    s.content_replies = 0;
    ++s.transactions;
}

constexpr std::uint16_t bit(ClientFact f) {
    return static_cast<std::uint16_t>(1U << static_cast<unsigned>(f));
}

constexpr ClientEffect effect(std::string_view name, ClientEffect::Fn fn, std::uint16_t set = 0,
                              std::uint16_t clear = 0) {
    return ClientEffect{name, fn, table::FactChange{set, clear}};
}

constexpr std::uint16_t kTx = bit(ClientFact::TxOpen);
constexpr ClientEffect kNothing = effect("nothing", nothing);
constexpr ClientEffect kRefuse = effect("refuse_message", refuse_message);
constexpr ClientEffect kClose = effect("close_session", close_session);
constexpr ClientEffect kStart = effect("start_message", start_message, 0,
                                       bit(ClientFact::Pipelined) | bit(ClientFact::ContentSent) |
                                           bit(ClientFact::AnyAccepted));

constexpr ClientLiteral is(P p) {
    return ClientLiteral{p, true};
}
constexpr ClientLiteral no(P p) {
    return ClientLiteral{p, false};
}

constexpr ClientStateSet kReplyStates{
    S::Greeting, S::Ehlo, S::Helo, S::StartTls, S::AuthLoginUser, S::AuthLoginPass, S::AuthResult,
    S::Mail,     S::Rcpt, S::Data, S::Content,  S::Discard,       S::Reset};
constexpr ClientStateSet kLiveStates{
    S::Greeting,      S::Ehlo,       S::Helo, S::StartTls, S::Handshake, S::AuthLoginUser,
    S::AuthLoginPass, S::AuthResult, S::Mail, S::Rcpt,     S::Data,      S::Body,
    S::Content,       S::Discard,    S::Idle, S::Reset};
constexpr ClientEventSet kAnyReply{K::Positive, K::Intermediate, K::Transient, K::Permanent};
constexpr ClientEventSet kRefusal{K::Transient, K::Permanent};
constexpr ClientEventSet kFinal{K::Positive, K::Transient, K::Permanent};

// clang-format off
constexpr std::array kRows{
    // After QUIT, whatever comes closes (RFC 5321 §4.1.1.10).
    ClientRow{{S::Quit}, {K::Positive, K::Intermediate, K::Transient, K::Permanent, K::Closing, K::BadReply, K::Timeout, K::PeerClosed}, {}, S::Closed, X::None, kClose, "quit-done"},
    // Time, the peer, a broken stream and 421, in every state that waits.
    ClientRow{kLiveStates,  {K::Timeout},    {}, S::Closed, X::None, effect("fail_and_close<Timeout>", fail_and_close<Failure::Timeout>), "timeout"},
    ClientRow{kLiveStates,  {K::PeerClosed}, {}, S::Closed, X::None, effect("fail_and_close<ConnectionLost>", fail_and_close<Failure::ConnectionLost>), "peer-closed"},
    ClientRow{kReplyStates, {K::BadReply},   {}, S::Closed, X::None, effect("fail_and_close<Malformed>", fail_and_close<Failure::Malformed>), "bad-reply"},
    ClientRow{kReplyStates, {K::Closing},    {}, S::Closed, X::None, effect("close_on_421", close_on_421), "closing"},
    // The greeting (RFC 5321 §3.1, §4.3.2: 220, or 554 and QUIT).
    ClientRow{{S::Greeting}, {K::Positive}, {}, S::Ehlo, X::Ehlo, kNothing, "greeting"},
    ClientRow{{S::Greeting}, kRefusal,      {}, S::Quit, X::Quit, kRefuse, "greeting-refused"},
    // EHLO, or LHLO (RFC 2033 §4.1: no HELO fallback); HELO when EHLO is refused (§3.2).
    ClientRow{{S::Ehlo}, {K::Positive},  {}, S::Ready, X::None, effect("record_offer", record_offer, bit(ClientFact::Esmtp)), "ehlo"},
    ClientRow{{S::Ehlo}, {K::Permanent}, {no(P::Lmtp)}, S::Helo, X::Helo, kNothing, "ehlo-refused-helo"},
    ClientRow{{S::Helo}, {K::Positive},  {}, S::Ready, X::None, effect("record_helo", record_helo, 0, bit(ClientFact::Esmtp)), "helo"},
    ClientRow{{S::Ehlo, S::Helo}, kRefusal, {}, S::Quit, X::Quit, kRefuse, "hello-refused"},
    // Ready: what to do before the transaction (left at once, on Proceed). What fails only this
    // message (its size, its needs) leaves the connection Idle for the next one.
    ClientRow{{S::Ready}, {K::Proceed}, {no(P::TlsActive), is(P::StartTlsOffered), is(P::TlsWanted)}, S::StartTls, X::StartTls, kNothing, "starttls"},
    ClientRow{{S::Ready}, {K::Proceed}, {no(P::TlsActive), is(P::TlsRequired)}, S::Quit, X::Quit, effect("fail<TlsUnavailable>", fail<Failure::TlsUnavailable>), "tls-unavailable"},
    ClientRow{{S::Ready}, {K::Proceed}, {is(P::HasCredentials), no(P::TlsActive), no(P::AuthInClear)}, S::Quit, X::Quit, effect("fail<AuthNeedsTls>", fail<Failure::AuthNeedsTls>), "auth-needs-tls"},
    ClientRow{{S::Ready}, {K::Proceed}, {is(P::HasCredentials), no(P::Authenticated), is(P::AuthPlainOffered)}, S::AuthResult, X::AuthPlain, kNothing, "auth-plain"},
    ClientRow{{S::Ready}, {K::Proceed}, {is(P::HasCredentials), no(P::Authenticated), is(P::AuthLoginOffered)}, S::AuthLoginUser, X::AuthLogin, kNothing, "auth-login"},
    ClientRow{{S::Ready}, {K::Proceed}, {is(P::HasCredentials), no(P::Authenticated)}, S::Quit, X::Quit, effect("fail<AuthUnavailable>", fail<Failure::AuthUnavailable>), "auth-unavailable"},
    ClientRow{{S::Ready}, {K::Proceed}, {no(P::HasRecipients)}, S::Idle, X::None, kNothing, "no-recipients"},
    ClientRow{{S::Ready}, {K::Proceed}, {is(P::TooBig)}, S::Idle, X::None, effect("fail<TooBig>", fail<Failure::TooBig>), "too-big"},
    ClientRow{{S::Ready}, {K::Proceed}, {is(P::Needs8Bit), no(P::EightBitOffered)}, S::Idle, X::None, effect("fail<EightBit>", fail<Failure::EightBit>), "needs-8bitmime"},
    ClientRow{{S::Ready}, {K::Proceed}, {is(P::NeedsUtf8), no(P::Utf8Offered)}, S::Idle, X::None, effect("fail<Utf8>", fail<Failure::Utf8>), "needs-smtputf8"},
    ClientRow{{S::Ready}, {K::Proceed}, {is(P::PipeliningOffered)}, S::Mail, X::MailGroup, effect("sent_group", sent_group, bit(ClientFact::Pipelined) | kTx), "mail-pipelined"},
    ClientRow{{S::Ready}, {K::Proceed}, {}, S::Mail, X::Mail, effect("open_tx", open_tx, kTx), "mail"},
    // STARTTLS (RFC 3207 §4: 220, then the handshake, then EHLO again, §4.2).
    ClientRow{{S::StartTls}, {K::Positive}, {}, S::Handshake, X::None, effect("start_handshake", start_handshake), "starttls-ready"},
    ClientRow{{S::StartTls}, kRefusal, {is(P::TlsRequired)}, S::Quit, X::Quit, effect("defer_message", defer_message), "starttls-refused-required"},
    ClientRow{{S::StartTls}, kRefusal, {}, S::Ready, X::None, effect("tls_refused", tls_refused, bit(ClientFact::TlsTried)), "starttls-refused"},
    ClientRow{{S::Handshake}, {K::TlsDone},   {}, S::Ehlo, X::Ehlo, effect("tls_started", tls_started, bit(ClientFact::Tls), bit(ClientFact::Esmtp) | bit(ClientFact::Authenticated)), "tls-done"},
    ClientRow{{S::Handshake}, {K::TlsFailed}, {}, S::Closed, X::None, effect("fail_and_close<TlsFailed>", fail_and_close<Failure::TlsFailed>), "tls-failed"},
    // AUTH (RFC 4954 §4): PLAIN with its initial response (RFC 4616), or LOGIN's two 334s.
    ClientRow{{S::AuthLoginUser}, {K::Intermediate}, {}, S::AuthLoginPass, X::LoginUser, kNothing, "auth-login-user"},
    ClientRow{{S::AuthLoginPass}, {K::Intermediate}, {}, S::AuthResult, X::LoginPass, kNothing, "auth-login-password"},
    ClientRow{{S::AuthResult}, {K::Positive}, {}, S::Ready, X::None, effect("authenticated", authenticated, bit(ClientFact::Authenticated)), "auth-ok"},
    ClientRow{{S::AuthLoginUser, S::AuthLoginPass, S::AuthResult}, kRefusal, {}, S::Quit, X::Quit, kRefuse, "auth-refused"},
    // MAIL (RFC 5321 §4.1.1.2). Pipelined, the RCPT and DATA replies are still read (RFC 2920 §3.1).
    ClientRow{{S::Mail}, {K::Positive}, {is(P::Pipelined)}, S::Rcpt, X::None, kNothing, "mail-ok-pipelined"},
    ClientRow{{S::Mail}, {K::Positive}, {}, S::Rcpt, X::NextRcpt, effect("sent_rcpt", sent_rcpt), "mail-ok"},
    ClientRow{{S::Mail}, kRefusal, {is(P::Pipelined)}, S::Rcpt, X::None, kRefuse, "mail-refused-pipelined"},
    ClientRow{{S::Mail}, kRefusal, {}, S::Idle, X::None, kRefuse, "mail-refused"},
    // RCPT (RFC 5321 §4.1.1.3): each reply decides one recipient; 452 defers it (§4.5.3.1.10).
    ClientRow{{S::Rcpt}, {K::Positive}, {}, S::RcptDone, X::None, effect("rcpt_accepted", rcpt_accepted, bit(ClientFact::AnyAccepted)), "rcpt-ok"},
    ClientRow{{S::Rcpt}, {K::Transient}, {is(P::TooManyRecipients)}, S::RcptDone, X::None, effect("rcpt_deferred", rcpt_deferred), "rcpt-deferred"},
    ClientRow{{S::Rcpt}, kRefusal, {}, S::RcptDone, X::None, effect("rcpt_refused", rcpt_refused), "rcpt-refused"},
    ClientRow{{S::RcptDone}, {K::Proceed}, {is(P::MoreRecipients), is(P::Pipelined)}, S::Rcpt, X::None, kNothing, "rcpt-next-pipelined"},
    ClientRow{{S::RcptDone}, {K::Proceed}, {is(P::MoreRecipients)}, S::Rcpt, X::NextRcpt, effect("sent_rcpt", sent_rcpt), "rcpt-next"},
    ClientRow{{S::RcptDone}, {K::Proceed}, {is(P::Pipelined), no(P::ChunkingOffered)}, S::Data, X::None, kNothing, "data-pipelined"},
    // RFC 3030 §2: BDAT chunks go in one pipeline, so only after a pipelined group; the row
    // above took the group that ended in DATA, so here CHUNKING is offered.
    ClientRow{{S::RcptDone}, {K::Proceed}, {is(P::AnyAccepted), is(P::Pipelined)}, S::Body, X::Bdat, kNothing, "bdat"},
    ClientRow{{S::RcptDone}, {K::Proceed}, {is(P::AnyAccepted)}, S::Data, X::Data, kNothing, "data"},
    ClientRow{{S::RcptDone}, {K::Proceed}, {}, S::Idle, X::None, kNothing, "no-recipient-accepted"},
    // DATA (RFC 5321 §4.1.1.4); RFC 2920 §3.1: 354 with no recipient accepted gets a lone ".".
    ClientRow{{S::Data}, {K::Intermediate}, {is(P::AnyAccepted)}, S::Body, X::Body, kNothing, "data-go-ahead"},
    ClientRow{{S::Data}, {K::Intermediate}, {}, S::Discard, X::Dot, kNothing, "data-go-ahead-no-recipient"},
    ClientRow{{S::Data}, kRefusal, {}, S::Idle, X::None, kRefuse, "data-refused"},
    // The driver streams the body (ClientSendBody), then says so.
    ClientRow{{S::Body}, {K::BodyWritten}, {}, S::Content, X::None, effect("body_written", body_written), "body-written"},
    ClientRow{{S::Content}, {K::Positive}, {is(P::MoreChunkReplies)}, S::Same, X::None, effect("chunk_accepted", chunk_accepted), "bdat-chunk-ok"},
    ClientRow{{S::Content}, kRefusal, {is(P::MoreChunkReplies)}, S::Quit, X::Quit, effect("chunk_refused", chunk_refused), "bdat-chunk-refused"},
    ClientRow{{S::Content}, kFinal, {is(P::Lmtp), is(P::MoreLmtpReplies)}, S::Same, X::None, effect("lmtp_result", lmtp_result), "lmtp-result"},
    ClientRow{{S::Content}, kFinal, {is(P::Lmtp)}, S::Idle, X::None, effect("lmtp_last_result", lmtp_last_result, 0, kTx), "lmtp-last-result"},
    ClientRow{{S::Content}, kFinal, {}, S::Idle, X::None, effect("content_result", content_result, 0, kTx), "content-result"},
    ClientRow{{S::Discard}, kFinal, {}, S::Idle, X::None, effect("end_tx", end_tx, 0, kTx), "discarded"},
    // Idle: the driver's next message (RSET first if the last transaction was left open,
    // RFC 5321 §4.1.1.5), or QUIT.
    ClientRow{{S::Idle}, {K::Message}, {is(P::TxOpen)}, S::Reset, X::Rset, kStart, "next-message-reset"},
    ClientRow{{S::Idle}, {K::Message}, {}, S::Ready, X::None, kStart, "next-message"},
    ClientRow{{S::Idle}, {K::Quit}, {}, S::Quit, X::Quit, kNothing, "quit"},
    ClientRow{{S::Reset}, {K::Positive}, {}, S::Ready, X::None, effect("end_tx", end_tx, 0, kTx), "rset-ok"},
    ClientRow{{S::Reset}, kRefusal, {}, S::Quit, X::Quit, effect("defer_message", defer_message), "rset-refused"},
    // Any other reply (a 2xx to DATA, a 334 to MAIL, ...) is a protocol error: give up politely.
    ClientRow{kReplyStates, kAnyReply, {}, S::Quit, X::Quit, effect("fail<Unexpected>", fail<Failure::Unexpected>), "unexpected-reply"},
};
// clang-format on

} // namespace

ClientPredInfo const& client_pred_info(ClientPred pred) {
    return kPreds.at(static_cast<std::size_t>(pred));
}

template <> bool ClientSide::test(ClientPred pred, ClientSession const& s, ClientEvent const& e) {
    return client_pred_info(pred).fn(s, e);
}

std::uint16_t client_fact_bits(ClientSession const& s) {
    std::uint16_t bits = 0;
    auto set = [&bits](ClientFact f, bool on) {
        if (on) {
            bits = static_cast<std::uint16_t>(bits | bit(f));
        }
    };
    set(ClientFact::Tls, s.tls);
    set(ClientFact::Esmtp, s.esmtp);
    set(ClientFact::Authenticated, s.authenticated);
    set(ClientFact::TlsTried, s.tls_tried);
    set(ClientFact::Pipelined, s.pipelined);
    set(ClientFact::ContentSent, s.content_sent);
    set(ClientFact::QuitSent, s.quit_sent);
    set(ClientFact::AnyAccepted, !s.accepted.empty());
    set(ClientFact::TxOpen, s.tx_open);
    return bits;
}

std::span<ClientRow const> client_table() {
    return kRows;
}

} // namespace smtpd::sm

// Test support (smtpd_sm_testing, shared by tests/ and fuzz/): watches a client session's steps and
// reports the first protocol-order violation: a Send after QUIT or Close; the body (or the lone
// ".") other than right after a 3xx to DATA (RFC 2920 §3.1, RFC 5321 §4.1.1.4) or as BDAT after
// the RCPT replies; the body twice in a transaction; MAIL while a transaction is open (RSET first,
// RFC 5321 §4.1.1.5); MAIL in clear under a TLS-required policy; AUTH in clear; a recipient
// without exactly one result before the next message or the end; anything after ClientDone;
// Closed without Close and Done. Header-only, no GoogleTest. Depends on: statemachine/.
#pragma once

#include "smtpd/sm/client.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace smtpd::sm::testing {

class ClientOrder {
  public:
    explicit ClientOrder(ClientSession const& start)
        : results_(start.message.recipients.size(), 0), tx_open_(start.tx_open) {}

    /// Checks one step; returns false (and keeps the first error) on a violation.
    bool observe(ClientEvent const& event, ClientStep const& step) {
        if (done_ && !step.actions.empty()) {
            fail("an action after ClientDone");
        }
        if (auto const* submit = std::get_if<ClientSubmit>(&event)) {
            every_result("the next message before every recipient has a result");
            results_.assign(submit->message.recipients.size(), 0);
            content_sent_ = false;
        }
        for (std::size_t i = 0; i < step.actions.size(); ++i) {
            bool const last = i + 1 == step.actions.size();
            std::visit([&](auto const& a) { check(a, event, step.next, last); }, step.actions[i]);
        }
        if (step.next.state == ClientState::Closed && !done_) {
            fail("closed without ClientDone");
        }
        if (step.next.state == ClientState::Idle) {
            every_result("Idle before every recipient has a result");
        }
        tx_open_ = tx_open_ && step.next.tx_open; // the content's reply ended it
        return error_.empty();
    }

    [[nodiscard]] std::string const& error() const { return error_; }
    [[nodiscard]] bool done() const { return done_; }

  private:
    void fail(std::string what) {
        if (error_.empty()) {
            error_ = std::move(what);
        }
    }

    static bool is_3xx(ClientEvent const& e) {
        auto const* r = std::get_if<ClientReply>(&e);
        return r != nullptr && r->reply.code / 100 == 3;
    }

    [[nodiscard]] bool after_data() const {
        return sent_.size() >= 6 && sent_.compare(sent_.size() - 6, 6, "DATA\r\n") == 0;
    }

    void every_result(char const* what) {
        for (int n : results_) {
            if (n != 1) {
                fail(what);
            }
        }
    }

    void body(bool bdat, ClientEvent const& e) {
        if (quit_ || closed_) {
            fail("the body after QUIT or Close");
        }
        if (content_sent_) {
            fail("the message sent twice");
        }
        if (!bdat && !(is_3xx(e) && after_data())) {
            fail("the message sent without a 354 to DATA");
        }
        if (bdat && (is_3xx(e) || after_data())) {
            fail("BDAT after DATA");
        }
        content_sent_ = true;
    }

    void check_send(std::string const& bytes, ClientEvent const& e, ClientSession const& s) {
        if (quit_ || closed_) {
            fail("sent after QUIT or Close: " + bytes.substr(0, 20));
        }
        if (bytes == ".\r\n") {
            body(false, e);
        }
        if (bytes.rfind("MAIL FROM:", 0) == 0) {
            if (tx_open_) {
                fail("MAIL while a transaction is open");
            }
            tx_open_ = true;
        }
        tx_open_ = tx_open_ && bytes != "RSET\r\n";
        if (bytes.rfind("MAIL FROM:", 0) == 0 && s.params.tls == ClientTlsPolicy::Required &&
            !s.tls) {
            fail("MAIL in clear under tls required");
        }
        if (bytes.rfind("AUTH ", 0) == 0 && !s.tls && !s.params.auth_in_clear) {
            fail("AUTH in clear");
        }
        quit_ = quit_ || bytes == "QUIT\r\n";
        sent_ += bytes;
    }

    void check(ClientSend const& a, ClientEvent const& e, ClientSession const& s, bool) {
        check_send(a.bytes, e, s);
    }
    void check(ClientSendBody const& b, ClientEvent const& e, ClientSession const&, bool) {
        body(b.framing == BodyFraming::Bdat, e);
    }
    void check(ClientStartTls const&, ClientEvent const&, ClientSession const& s, bool) {
        if (quit_ || closed_ || s.tls) {
            fail("StartTls out of order");
        }
    }
    void check(ClientClose const&, ClientEvent const&, ClientSession const&, bool) {
        if (closed_) {
            fail("Close twice");
        }
        closed_ = true;
    }
    void check(ClientRecipientResult const& r, ClientEvent const&, ClientSession const&, bool) {
        if (r.index >= results_.size() || ++results_[r.index] != 1) {
            fail("a recipient with more than one result");
        }
        (r.outcome == ClientOutcome::Delivered ? delivered_ : failed_)++;
    }
    void check(ClientDone const& d, ClientEvent const&, ClientSession const&, bool last) {
        every_result("ClientDone before every recipient has a result");
        if (!closed_ || !last || done_ || d.delivered != delivered_ ||
            d.temp_failed + d.perm_failed + d.deferred != failed_) {
            fail("ClientDone out of order or miscounted");
        }
        done_ = true;
    }

    std::vector<int> results_;
    std::string sent_;
    std::string error_;
    std::size_t delivered_ = 0;
    std::size_t failed_ = 0;
    bool quit_ = false;
    bool closed_ = false;
    bool done_ = false;
    bool content_sent_ = false;
    bool tx_open_ = false; ///< MAIL sent; not yet ended by the content's reply or RSET
};

} // namespace smtpd::sm::testing

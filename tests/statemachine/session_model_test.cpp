// rapidcheck: random command sequences (with message content and BDAT chunks) through the real
// framer and session (wire.hpp), against a small reference model written straight from RFC 5321
// §4.1.4, §3.3, RFC 1870, RFC 3030 and RFC 2920, not from the table: the two must agree on
// every reply code. The model knows only what these commands need: greeted or not, EHLO or HELO,
// in a transaction or not, accepted recipients, BDAT chunks so far.
#include "wire.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace smtpd::sm {
namespace {

constexpr std::uint64_t kMaxSize = 64;

enum class Cmd : unsigned char {
    Helo,
    Ehlo,
    Mail,
    MailSize,
    MailBadParam,
    RcptGood,
    RcptUnknown,
    Data,
    Bdat,
    BdatLast,
    BdatTooBig,
    Rset,
    Noop,
    Vrfy,
    Expn,
    Help,
    Unknown,
    BadSyntax,
};

struct Step {
    Cmd cmd;
    std::uint64_t size; ///< SIZE=, a BDAT chunk's size, or DATA's content size
};

// NOLINTNEXTLINE(readability-identifier-naming): the name rapidcheck looks up.
void showValue(Step const& s, std::ostream& os) {
    os << "{" << static_cast<int>(s.cmd) << ", " << s.size << "}";
}

/// The client's bytes for one step.
std::string bytes(Step const& s) {
    std::string const chunk(s.size, 'x');
    switch (s.cmd) {
    case Cmd::Helo:
        return "HELO c.example\r\n";
    case Cmd::Ehlo:
        return "EHLO c.example\r\n";
    case Cmd::Mail:
        return "MAIL FROM:<a@b.example>\r\n";
    case Cmd::MailSize:
        return "MAIL FROM:<a@b.example> SIZE=" + std::to_string(s.size) + "\r\n";
    case Cmd::MailBadParam:
        return "MAIL FROM:<a@b.example> FOO=1\r\n";
    case Cmd::RcptGood:
        return "RCPT TO:<good@d.example>\r\n";
    case Cmd::RcptUnknown:
        return "RCPT TO:<nobody@d.example>\r\n";
    case Cmd::Data:
        return "DATA\r\n";
    case Cmd::Bdat:
        return "BDAT " + std::to_string(s.size) + "\r\n" + chunk;
    case Cmd::BdatLast:
        return "BDAT " + std::to_string(s.size) + " LAST\r\n" + chunk;
    case Cmd::BdatTooBig:
        return "BDAT " + std::to_string(kMaxSize + 1) + "\r\n" + std::string(kMaxSize + 1, 'y');
    case Cmd::Rset:
        return "RSET\r\n";
    case Cmd::Noop:
        return "NOOP\r\n";
    case Cmd::Vrfy:
        return "VRFY x\r\n";
    case Cmd::Expn:
        return "EXPN x\r\n";
    case Cmd::Help:
        return "HELP\r\n";
    case Cmd::Unknown:
        return "XYZZY\r\n";
    case Cmd::BadSyntax:
        return "MAIL FROM: <a@b>\r\n";
    }
    return {};
}

/// The reference model: the reply codes one step should get.
struct Model {
    bool greeted = false;
    bool esmtp = false;
    bool mail = false;
    int rcpts = 0;
    bool chunking = false; ///< a BDAT of this transaction was accepted
    std::uint64_t octets = 0;

    void reset() {
        mail = false;
        rcpts = 0;
        chunking = false;
        octets = 0;
    }

    std::vector<int> expect(Step const& s) {
        bool const in_tx = mail && !chunking;
        switch (s.cmd) {
        case Cmd::Helo:
        case Cmd::Ehlo:
            greeted = true;
            esmtp = s.cmd == Cmd::Ehlo;
            reset();
            return {250};
        case Cmd::Mail:
        case Cmd::MailSize:
        case Cmd::MailBadParam:
            if (!greeted || mail) {
                return {503};
            }
            if (s.cmd == Cmd::MailBadParam || (s.cmd == Cmd::MailSize && !esmtp)) {
                return {555};
            }
            if (s.cmd == Cmd::MailSize && s.size > kMaxSize) {
                return {552};
            }
            mail = true;
            return {250};
        case Cmd::RcptGood:
        case Cmd::RcptUnknown:
            if (!in_tx) {
                return {503};
            }
            rcpts += s.cmd == Cmd::RcptGood ? 1 : 0;
            return {s.cmd == Cmd::RcptGood ? 250 : 550};
        case Cmd::Data:
            if (!in_tx) {
                return {503};
            }
            if (rcpts == 0) {
                return {554};
            }
            reset();
            // The content is s.size octets and a CRLF: RFC 1870 counts every octet.
            return {354, s.size + 2 > kMaxSize ? 552 : 250};
        case Cmd::Bdat:
        case Cmd::BdatLast:
        case Cmd::BdatTooBig: {
            if (!mail) {
                return {503};
            }
            std::uint64_t const size = s.cmd == Cmd::BdatTooBig ? kMaxSize + 1 : s.size;
            if (octets + size > kMaxSize) {
                reset();
                return {552};
            }
            if (!chunking && (rcpts == 0 || !esmtp)) {
                return {rcpts == 0 ? 554 : 503};
            }
            chunking = true;
            octets += size;
            if (s.cmd == Cmd::BdatLast) {
                reset();
            }
            return {250};
        }
        case Cmd::Rset:
            reset();
            return {250};
        case Cmd::Noop:
            return {250};
        case Cmd::Vrfy:
        case Cmd::Expn:
            return {252};
        case Cmd::Help:
            return {214};
        case Cmd::Unknown:
            return {500};
        case Cmd::BadSyntax:
            return {501};
        }
        return {};
    }
};

RC_GTEST_PROP(ServerSessionModel, AgreesWithTheReferenceModelOnEveryReplyCode, ()) {
    // Weighted towards whole transactions, sizes towards the SIZE limit's edges.
    auto const cmd = rc::gen::weightedElement<Cmd>({
        {2, Cmd::Helo},
        {3, Cmd::Ehlo},
        {6, Cmd::Mail},
        {2, Cmd::MailSize},
        {1, Cmd::MailBadParam},
        {8, Cmd::RcptGood},
        {2, Cmd::RcptUnknown},
        {5, Cmd::Data},
        {4, Cmd::Bdat},
        {4, Cmd::BdatLast},
        {1, Cmd::BdatTooBig},
        {2, Cmd::Rset},
        {1, Cmd::Noop},
        {1, Cmd::Vrfy},
        {1, Cmd::Expn},
        {1, Cmd::Help},
        {1, Cmd::Unknown},
        {1, Cmd::BadSyntax},
    });
    auto const size =
        rc::gen::oneOf(rc::gen::inRange<std::uint64_t>(0, kMaxSize + 8),
                       rc::gen::element<std::uint64_t>(kMaxSize - 3, kMaxSize - 2, kMaxSize - 1,
                                                       kMaxSize, kMaxSize + 1));
    auto const steps = *rc::gen::container<std::vector<Step>>(rc::gen::construct<Step>(cmd, size));
    SessionParams params;
    params.max_message_size = kMaxSize;
    params.max_errors = 1000; // the error limit is the row tests' business
    testing::Wire wire(params);
    wire.lookup = [](grammar::Path const& p) {
        return p.mailbox && p.mailbox->local_part == "good" ? RcptVerdict::Kind::Accepted
                                                            : RcptVerdict::Kind::UnknownUser;
    };
    Model model;
    std::vector<int> expected{220};
    for (Step const& s : steps) {
        std::string b = bytes(s);
        if (s.cmd == Cmd::Data && model.mail && !model.chunking && model.rcpts > 0) {
            b += std::string(s.size, 'z') + "\r\n.\r\n";
            RC_TAG(s.size >= kMaxSize - 1 ? "data at the limit" : "data");
        }
        bool const chunking = model.chunking;
        for (int code : model.expect(s)) {
            expected.push_back(code);
        }
        if (!chunking && model.chunking) {
            RC_TAG("bdat transaction");
        }
        wire.send(b);
        RC_ASSERT(wire.codes() == expected);
    }
}

} // namespace
} // namespace smtpd::sm

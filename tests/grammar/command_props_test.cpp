// rapidcheck properties of the command grammar (grammar/src/command.cpp): any bytes give a value
// or a ParseError and never an exception, and any Dot-string "@" Domain mailbox generated from the
// RFC 5321 §4.1.2 ABNF parses back to itself inside "MAIL FROM:<...>" and "RCPT TO:<...>".
#include "smtpd/grammar/command.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <optional>
#include <string>
#include <string_view>

namespace smtpd::grammar {
namespace {

// Let-dig, Ldh-str's characters, and atext (RFC 5322 §3.2.3).
constexpr std::string_view kLetDig =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view kLdh = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-";
constexpr std::string_view kAtext =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~";

// Dot-string = Atom *("." Atom); Atom = 1*atext
rc::Gen<std::string> dot_string() {
    return rc::gen::exec([] {
        auto const atoms = *rc::gen::inRange(1, 4);
        std::string out;
        for (int i = 0; i < atoms; ++i) {
            out += (i == 0 ? "" : ".");
            out += *rc::gen::resize(
                12, rc::gen::nonEmpty(rc::gen::container<std::string>(rc::gen::elementOf(kAtext))));
        }
        return out;
    });
}

// Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str]
rc::Gen<std::string> domain() {
    return rc::gen::exec([] {
        auto const labels = *rc::gen::inRange(1, 5);
        std::string out;
        for (int i = 0; i < labels; ++i) {
            out += (i == 0 ? "" : ".");
            out += *rc::gen::elementOf(kLetDig);
            if (*rc::gen::arbitrary<bool>()) {
                out +=
                    *rc::gen::resize(10, rc::gen::container<std::string>(rc::gen::elementOf(kLdh)));
                out += *rc::gen::elementOf(kLetDig);
            }
        }
        return out;
    });
}

// A value, or an error that points into the input (RC_ASSERT would not short-circuit ||).
template <class T> bool offset_in_range(Parsed<T> const& parsed, std::string const& input) {
    return parsed.ok() || parsed.error().offset <= input.size();
}

RC_GTEST_PROP(CommandProps, NeverThrowsOnArbitraryBytes, (std::string const& bytes)) {
    for (std::string const& line :
         {bytes, "MAIL FROM:" + bytes, "RCPT TO:<" + bytes, "EHLO " + bytes, "NOOP " + bytes}) {
        RC_ASSERT(offset_in_range(parse_command(line), line));
    }
    RC_ASSERT(offset_in_range(parse_mailbox(bytes), bytes));
    RC_ASSERT(offset_in_range(parse_domain(bytes), bytes));
}

RC_GTEST_PROP(CommandProps, DotStringMailboxRoundTripsThroughMailAndRcpt, ()) {
    std::string const local = *dot_string();
    std::string const dom = *domain();
    Mailbox const expected{local, dom, false};
    auto const mail = parse_command("MAIL FROM:<" + local + "@" + dom + ">");
    RC_ASSERT(mail.ok());
    RC_ASSERT(mail.value().path.mailbox == std::optional<Mailbox>(expected));
    auto const rcpt = parse_command("rcpt to:<" + local + "@" + dom + "> NOTIFY=NEVER");
    RC_ASSERT(rcpt.ok());
    RC_ASSERT(rcpt.value().path.mailbox == std::optional<Mailbox>(expected));
    auto const alone = parse_mailbox(local + "@" + dom);
    RC_ASSERT(alone.ok());
    RC_ASSERT(alone.value() == expected);
    RC_ASSERT(parse_domain(dom).ok());
}

RC_GTEST_PROP(CommandProps, TrailingHyphenDomainIsRefused, ()) {
    std::string const dom = *domain() + "-";
    RC_ASSERT(!parse_domain(dom).ok());
    RC_ASSERT(!parse_command("HELO " + dom).ok());
}

} // namespace
} // namespace smtpd::grammar

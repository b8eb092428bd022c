// Spirit X3 rules of the RFC 5321 command grammar (grammar/abnf/rfc5321.abnf, rfc5234-core.abnf),
// declared and defined here and instantiated by command.cpp, the one TU that includes this file.
// Hand-written until the generator exists: one rule per ABNF rule, named as in the RFC with '-' ->
// '_', each after the ABNF it implements. Where X3's ordered '|' and greedy '*' would accept other
// strings than the ABNF, the rule is reshaped and the comment says why.
// Invariants: bytes >= 0x80 and controls match no token; '>' (expectation) is used only where the
// ABNF leaves no alternative, so it never cuts off a parse the ABNF would accept.
// Depends on: x3_support.hpp, smtpd/grammar/command.hpp.
#pragma once

#include "smtpd/grammar/command.hpp"

#include "x3_support.hpp"

#include <string>
#include <utility>
#include <vector>

namespace smtpd::grammar::rfc5321 {

namespace x3 = boost::spirit::x3;
using abnf::abnf_string;
using abnf::noted;
using abnf::r;

inline auto text_of(auto const& range) {
    return std::string(range.begin(), range.end());
}

// Semantic actions: the structure is built explicitly, so that a failed alternative can never
// leave a partial attribute behind (X3 containers are not rolled back on backtracking).
inline constexpr auto assign = [](auto& ctx) { x3::_val(ctx) = std::move(x3::_attr(ctx)); };
inline constexpr auto assign_text = [](auto& ctx) { x3::_val(ctx) = text_of(x3::_attr(ctx)); };
inline constexpr auto push_back = [](auto& ctx) { x3::_val(ctx).push_back(x3::_attr(ctx)); };
inline constexpr auto set_local_part = [](auto& ctx) {
    x3::_val(ctx).local_part = text_of(x3::_attr(ctx));
};
inline constexpr auto set_domain = [](auto& ctx) {
    x3::_val(ctx).domain = text_of(x3::_attr(ctx));
};
inline constexpr auto set_literal = [](auto& ctx) {
    x3::_val(ctx).domain = text_of(x3::_attr(ctx));
    x3::_val(ctx).domain_is_literal = true;
};
inline constexpr auto set_route = [](auto& ctx) { x3::_val(ctx).source_route = x3::_attr(ctx); };
inline constexpr auto set_mailbox = [](auto& ctx) { x3::_val(ctx).mailbox = x3::_attr(ctx); };
inline constexpr auto set_keyword = [](auto& ctx) {
    x3::_val(ctx).keyword = text_of(x3::_attr(ctx));
};
inline constexpr auto set_value = [](auto& ctx) { x3::_val(ctx).value = text_of(x3::_attr(ctx)); };
inline constexpr auto set_path = [](auto& ctx) { x3::_val(ctx).path = x3::_attr(ctx); };
inline constexpr auto set_params = [](auto& ctx) { x3::_val(ctx).params = x3::_attr(ctx); };
inline constexpr auto set_text = [](auto& ctx) { x3::_val(ctx).text = text_of(x3::_attr(ctx)); };
inline constexpr auto set_postmaster = [](auto& ctx) { x3::_val(ctx).path.postmaster = true; };
// "<Postmaster@" Domain ">": the local-part is octets 1..10 as sent, the domain what follows '@'.
inline constexpr auto set_postmaster_at = [](auto& ctx) {
    auto const& range = x3::_attr(ctx);
    grammar::Mailbox mailbox;
    mailbox.local_part.assign(range.begin() + 1, range.begin() + 11);
    mailbox.domain.assign(range.begin() + 12, range.end() - 1);
    x3::_val(ctx).path.mailbox = std::move(mailbox);
};
// RFC 5321 §4.1.3: Snum is "a decimal integer value in the range 0 through 255".
inline constexpr auto snum_value = [](auto& ctx) {
    unsigned value = 0;
    for (char const c : x3::_attr(ctx)) {
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    x3::_pass(ctx) = value <= 255;
};
// RFC 5321 §4.1.3: "No more than N groups in addition to the "::" may be present".
template <unsigned N>
inline constexpr auto at_most_groups = [](auto& ctx) {
    unsigned groups = 0;
    char previous = ':';
    for (char const c : x3::_attr(ctx)) {
        groups += (previous == ':' && c != ':') ? 1U : 0U;
        previous = c;
    }
    x3::_pass(ctx) = groups <= N;
};

// Rule ids. Rules that hold an expectation point get a complete id with their RFC name (noted).
#define SMTPD_NOTED(id, rfc_name)                                                                  \
    struct id : noted<id> {                                                                        \
        static constexpr char const* name = rfc_name;                                              \
    }
SMTPD_NOTED(At_domain_id, "At-domain");
SMTPD_NOTED(A_d_l_id, "A-d-l");
SMTPD_NOTED(Path_id, "Path");
SMTPD_NOTED(Mailbox_id, "Mailbox");
SMTPD_NOTED(esmtp_param_id, "esmtp-param");
SMTPD_NOTED(ehlo_id, "ehlo");
SMTPD_NOTED(helo_id, "helo");
SMTPD_NOTED(mail_id, "mail");
SMTPD_NOTED(rcpt_id, "rcpt");
SMTPD_NOTED(data_id, "data");
SMTPD_NOTED(rset_id, "rset");
SMTPD_NOTED(vrfy_id, "vrfy");
SMTPD_NOTED(help_id, "help");
SMTPD_NOTED(noop_id, "noop");
SMTPD_NOTED(quit_id, "quit");
#undef SMTPD_NOTED

x3::rule<class ALPHA_id> const ALPHA = "ALPHA";
x3::rule<class DIGIT_id> const DIGIT = "DIGIT";
x3::rule<class HEXDIG_id> const HEXDIG = "HEXDIG";
x3::rule<class DQUOTE_id> const DQUOTE = "DQUOTE";
x3::rule<class SP_id> const SP = "SP";
x3::rule<class CRLF_id> const CRLF = "CRLF";
x3::rule<ehlo_id, Command> const ehlo = ehlo_id::name;
x3::rule<helo_id, Command> const helo = helo_id::name;
x3::rule<mail_id, Command> const mail = mail_id::name;
x3::rule<rcpt_id, Command> const rcpt = rcpt_id::name;
x3::rule<data_id, Command> const data = data_id::name;
x3::rule<rset_id, Command> const rset = rset_id::name;
x3::rule<vrfy_id, Command> const vrfy = vrfy_id::name;
x3::rule<help_id, Command> const help = help_id::name;
x3::rule<noop_id, Command> const noop = noop_id::name;
x3::rule<quit_id, Command> const quit = quit_id::name;
x3::rule<class Reverse_path_id, grammar::Path> const Reverse_path = "Reverse-path";
x3::rule<class Forward_path_id, grammar::Path> const Forward_path = "Forward-path";
x3::rule<Path_id, grammar::Path> const Path = Path_id::name;
x3::rule<A_d_l_id, std::vector<std::string>> const A_d_l = A_d_l_id::name;
x3::rule<At_domain_id, std::string> const At_domain = At_domain_id::name;
x3::rule<class Mail_parameters_id, std::vector<EsmtpParam>> const Mail_parameters =
    "Mail-parameters";
x3::rule<class Rcpt_parameters_id, std::vector<EsmtpParam>> const Rcpt_parameters =
    "Rcpt-parameters";
x3::rule<esmtp_param_id, EsmtpParam> const esmtp_param = esmtp_param_id::name;
x3::rule<class esmtp_keyword_id> const esmtp_keyword = "esmtp-keyword";
x3::rule<class esmtp_value_id> const esmtp_value = "esmtp-value";
x3::rule<class Keyword_id> const Keyword = "Keyword";
x3::rule<class Argument_id> const Argument = "Argument";
x3::rule<class Domain_id> const Domain = "Domain";
x3::rule<class sub_domain_id> const sub_domain = "sub-domain";
x3::rule<class Let_dig_id> const Let_dig = "Let-dig";
x3::rule<class Ldh_str_id> const Ldh_str = "Ldh-str";
x3::rule<class address_literal_id> const address_literal = "address-literal";
x3::rule<Mailbox_id, grammar::Mailbox> const Mailbox = Mailbox_id::name;
x3::rule<class Local_part_id> const Local_part = "Local-part";
x3::rule<class Dot_string_id> const Dot_string = "Dot-string";
x3::rule<class Atom_id> const Atom = "Atom";
x3::rule<class Quoted_string_id> const Quoted_string = "Quoted-string";
x3::rule<class QcontentSMTP_id> const QcontentSMTP = "QcontentSMTP";
x3::rule<class quoted_pairSMTP_id> const quoted_pairSMTP = "quoted-pairSMTP";
x3::rule<class qtextSMTP_id> const qtextSMTP = "qtextSMTP";
x3::rule<class String_id> const String = "String";
x3::rule<class atext_id> const atext = "atext";
x3::rule<class IPv4_address_literal_id> const IPv4_address_literal = "IPv4-address-literal";
x3::rule<class IPv6_address_literal_id> const IPv6_address_literal = "IPv6-address-literal";
x3::rule<class General_address_literal_id> const General_address_literal =
    "General-address-literal";
x3::rule<class Standardized_tag_id> const Standardized_tag = "Standardized-tag";
x3::rule<class dcontent_id> const dcontent = "dcontent";
x3::rule<class Snum_id> const Snum = "Snum";
x3::rule<class IPv6_addr_id> const IPv6_addr = "IPv6-addr";
x3::rule<class IPv6_hex_id> const IPv6_hex = "IPv6-hex";
x3::rule<class IPv6_full_id> const IPv6_full = "IPv6-full";
x3::rule<class IPv6_comp_id> const IPv6_comp = "IPv6-comp";
x3::rule<class IPv6v4_full_id> const IPv6v4_full = "IPv6v4-full";
x3::rule<class IPv6v4_comp_id> const IPv6v4_comp = "IPv6v4-comp";

// --- RFC 5234 Appendix B.1 (only the core rules RFC 5321 uses) ---
// ALPHA = %x41-5A / %x61-7A
auto const ALPHA_def = r(0x41, 0x5A) | r(0x61, 0x7A);
// DIGIT = %x30-39
auto const DIGIT_def = r(0x30, 0x39);
// HEXDIG = DIGIT / "A" / "B" / "C" / "D" / "E" / "F"   (quoted strings are case-insensitive)
auto const HEXDIG_def = DIGIT | r('A', 'F') | r('a', 'f');
// DQUOTE = %x22
auto const DQUOTE_def = x3::lit('"');
// SP = %x20
auto const SP_def = x3::lit(' ');
// CRLF = CR LF   -- the framer strips it, so here the end of the line stands for it.
auto const CRLF_def = x3::eoi;

// --- RFC 5321 §4.1.1: commands (all start with an expectation so that every failure throws) ---
// ehlo = "EHLO" SP ( Domain / address-literal ) CRLF    -- the alternatives differ on "[".
auto const ehlo_def = x3::eps > abnf_string("EHLO") > SP >
                      ((&x3::lit('[') > x3::raw[address_literal][set_domain]) |
                       (x3::eps > x3::raw[Domain][set_domain])) > CRLF;
// helo = "HELO" SP Domain CRLF
auto const helo_def = x3::eps > abnf_string("HELO") > SP > x3::raw[Domain][set_domain] > CRLF;
// mail = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF
auto const mail_def = x3::eps > abnf_string("MAIL FROM:") > Reverse_path[set_path] >
                      -(SP > Mail_parameters[set_params]) > CRLF;
// rcpt = "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path )
//        [SP Rcpt-parameters] CRLF
// The first alternative is tried without expectation points so that "<Postmaster@[...]>" falls
// through to Forward-path, which accepts it too.
auto const rcpt_def = x3::eps > abnf_string("RCPT TO:") >
                      (x3::raw[abnf_string("<Postmaster@") >> Domain >> '>'][set_postmaster_at] |
                       abnf_string("<Postmaster>")[set_postmaster] |
                       (x3::eps > Forward_path[set_path])) >
                      -(SP > Rcpt_parameters[set_params]) > CRLF;
// data = "DATA" CRLF
auto const data_def = x3::eps > abnf_string("DATA") > CRLF;
// rset = "RSET" CRLF
auto const rset_def = x3::eps > abnf_string("RSET") > CRLF;
// vrfy = "VRFY" SP String CRLF
auto const vrfy_def = x3::eps > abnf_string("VRFY") > SP > x3::raw[String][set_text] > CRLF;
// help = "HELP" [ SP String ] CRLF
auto const help_def = x3::eps > abnf_string("HELP") > -(SP > x3::raw[String][set_text]) > CRLF;
// noop = "NOOP" [ SP String ] CRLF
auto const noop_def = x3::eps > abnf_string("NOOP") > -(SP > x3::raw[String][set_text]) > CRLF;
// quit = "QUIT" CRLF
auto const quit_def = x3::eps > abnf_string("QUIT") > CRLF;

// --- RFC 5321 §4.1.2 ---
// Reverse-path = Path / "<>"    -- "<>" first: Path would commit to a Mailbox after "<".
auto const Reverse_path_def = x3::lit("<>") | Path[assign];
// Forward-path = Path
auto const Forward_path_def = Path[assign];
// Path = "<" [ A-d-l ":" ] Mailbox ">"    -- A-d-l starts with "@", a Local-part never does.
auto const Path_def = ('<' >> -(A_d_l[set_route] > ':')) > Mailbox[set_mailbox] > '>';
// A-d-l = At-domain *( "," At-domain )
auto const A_d_l_def = At_domain[push_back] >> *(',' > At_domain[push_back]);
// At-domain = "@" Domain
auto const At_domain_def = '@' > x3::raw[Domain][assign_text];
// Mail-parameters = esmtp-param *(SP esmtp-param)
auto const Mail_parameters_def = esmtp_param[push_back] >> *(SP >> esmtp_param[push_back]);
// Rcpt-parameters = esmtp-param *(SP esmtp-param)
auto const Rcpt_parameters_def = esmtp_param[push_back] >> *(SP >> esmtp_param[push_back]);
// esmtp-param = esmtp-keyword ["=" esmtp-value]
auto const esmtp_param_def = x3::raw[esmtp_keyword][set_keyword] >>
                             -('=' > x3::raw[esmtp_value][set_value]);
// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
auto const esmtp_keyword_def = (ALPHA | DIGIT) >> *(ALPHA | DIGIT | '-');
// esmtp-value = 1*(%d33-60 / %d62-126)
auto const esmtp_value_def = +(r(33, 60) | r(62, 126));
// Keyword = Ldh-str
auto const Keyword_def = Ldh_str;
// Argument = Atom
auto const Argument_def = Atom;
// Domain = sub-domain *("." sub-domain)
auto const Domain_def = sub_domain >> *('.' >> sub_domain);
// sub-domain = Let-dig [Ldh-str]
auto const sub_domain_def = Let_dig >> -Ldh_str;
// Let-dig = ALPHA / DIGIT
auto const Let_dig_def = ALPHA | DIGIT;
// Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig
// Reshaped: a greedy *(ALPHA / DIGIT / "-") would eat the final Let-dig and always fail. As
// groups of hyphens each closed by a Let-dig, it matches the longest prefix that is an Ldh-str
// (never ending in "-"), which is what the ABNF accepts wherever Ldh-str is followed by a
// character outside ALPHA / DIGIT / "-".
auto const Ldh_str_def = +(*x3::lit('-') >> Let_dig);
// address-literal = "[" ( IPv4-address-literal / IPv6-address-literal /
//                   General-address-literal ) "]"
// The "]" is repeated in each alternative so that an alternative matching only a prefix
// (e.g. "1.2.3.4" of "1.2.3.4x") gives way to the next, as ABNF's unordered "/" would.
auto const address_literal_def = '[' >>
                                 ((IPv4_address_literal >> ']') | (IPv6_address_literal >> ']') |
                                  (General_address_literal >> ']'));
// Mailbox = Local-part "@" ( Domain / address-literal )    -- the alternatives differ on "[".
auto const Mailbox_def = x3::raw[Local_part][set_local_part] > '@' >
                         ((&x3::lit('[') > x3::raw[address_literal][set_literal]) |
                          (x3::eps > x3::raw[Domain][set_domain]));
// Local-part = Dot-string / Quoted-string
auto const Local_part_def = Dot_string | Quoted_string;
// Dot-string = Atom *("." Atom)
auto const Dot_string_def = Atom >> *('.' >> Atom);
// Atom = 1*atext
auto const Atom_def = +atext;
// Quoted-string = DQUOTE *QcontentSMTP DQUOTE
auto const Quoted_string_def = DQUOTE >> *QcontentSMTP >> DQUOTE;
// QcontentSMTP = qtextSMTP / quoted-pairSMTP
auto const QcontentSMTP_def = qtextSMTP | quoted_pairSMTP;
// quoted-pairSMTP = %d92 %d32-126
auto const quoted_pairSMTP_def = x3::lit('\\') >> r(32, 126);
// qtextSMTP = %d32-33 / %d35-91 / %d93-126
auto const qtextSMTP_def = r(32, 33) | r(35, 91) | r(93, 126);
// String = Atom / Quoted-string
auto const String_def = Atom | Quoted_string;
// atext = ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "/" / "=" /
//         "?" / "^" / "_" / "`" / "{" / "|" / "}" / "~"                  (RFC 5322 §3.2.3)
auto const atext_def = ALPHA | DIGIT | x3::char_("!#$%&'*+/=?^_`{|}~-");

// --- RFC 5321 §4.1.3 ---
// IPv4-address-literal = Snum 3("." Snum)
auto const IPv4_address_literal_def = Snum >> x3::repeat(3)['.' >> Snum];
// IPv6-address-literal = "IPv6:" IPv6-addr
auto const IPv6_address_literal_def = abnf_string("IPv6:") >> IPv6_addr;
// General-address-literal = Standardized-tag ":" 1*dcontent
// XXX(#4): narrower than the ABNF: a tag spelled "IPv6" is not a General-address-literal.
// RFC 5321 §4.1.3 requires tags registered with IANA; "IPv6" is registered with the syntax of
// IPv6-address-literal, so "[IPv6:1:2:3:4:5:6:7:8:9]" must be an error, not a general literal.
auto const General_address_literal_def =
    !abnf_string("IPv6:") >> Standardized_tag >> ':' >> +dcontent;
// Standardized-tag = Ldh-str
auto const Standardized_tag_def = Ldh_str;
// dcontent = %d33-90 / %d94-126
auto const dcontent_def = r(33, 90) | r(94, 126);
// Snum = 1*3DIGIT   ; representing a decimal integer value in the range 0 through 255
auto const Snum_def = x3::raw[x3::repeat(1, 3)[DIGIT]][snum_value];
// IPv6-addr = IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp
// Reordered: tried in RFC order, IPv6-comp would take "::1" of "::1.2.3.4" and never give it back.
// The v4 forms need a "." that the others cannot contain, so trying them first is exact.
auto const IPv6_addr_def = IPv6v4_full | IPv6v4_comp | IPv6_full | IPv6_comp;
// IPv6-hex = 1*4HEXDIG
auto const IPv6_hex_def = x3::repeat(1, 4)[HEXDIG];
// IPv6-full = IPv6-hex 7(":" IPv6-hex)
auto const IPv6_full_def = IPv6_hex >> x3::repeat(7)[':' >> IPv6_hex];
// IPv6-comp = [IPv6-hex *5(":" IPv6-hex)] "::" [IPv6-hex *5(":" IPv6-hex)]
//   ; The "::" represents at least 2 16-bit groups of zeros. No more than 6 groups in addition
//   ; to the "::" may be present.                          (checked by at_most_groups<6>)
auto const IPv6_comp_def =
    x3::raw[-(IPv6_hex >> x3::repeat(0, 5)[':' >> IPv6_hex]) >> "::" >>
            -(IPv6_hex >> x3::repeat(0, 5)[':' >> IPv6_hex])][at_most_groups<6>];
// IPv6v4-full = IPv6-hex 5(":" IPv6-hex) ":" IPv4-address-literal
auto const IPv6v4_full_def = IPv6_hex >> x3::repeat(5)[':' >> IPv6_hex] >>
                             ':' >> IPv4_address_literal;
// IPv6v4-comp = [IPv6-hex *3(":" IPv6-hex)] "::" [IPv6-hex *3(":" IPv6-hex) ":"]
//               IPv4-address-literal
//   ; No more than 4 groups in addition to the "::" and IPv4-address-literal may be present.
// Reshaped: the second bracket is written 0*4(IPv6-hex ":"), the same strings, because greedy
// *3(":" IPv6-hex) would take the first Snum of "::a:1.2.3.4" as a hex group and fail.
auto const IPv6v4_comp_def = x3::raw[-(IPv6_hex >> x3::repeat(0, 3)[':' >> IPv6_hex]) >> "::" >>
                                     x3::repeat(0, 4)[IPv6_hex >> ':']][at_most_groups<4>] >>
                             IPv4_address_literal;

BOOST_SPIRIT_DEFINE(ALPHA, DIGIT, HEXDIG, DQUOTE, SP, CRLF)
BOOST_SPIRIT_DEFINE(ehlo, helo, mail, rcpt, data, rset, vrfy, help, noop, quit)
BOOST_SPIRIT_DEFINE(Reverse_path, Forward_path, Path, A_d_l, At_domain, Mail_parameters,
                    Rcpt_parameters, esmtp_param, esmtp_keyword, esmtp_value, Keyword, Argument)
BOOST_SPIRIT_DEFINE(Domain, sub_domain, Let_dig, Ldh_str, address_literal, Mailbox, Local_part,
                    Dot_string, Atom, Quoted_string, QcontentSMTP, quoted_pairSMTP, qtextSMTP,
                    String, atext)
BOOST_SPIRIT_DEFINE(IPv4_address_literal, IPv6_address_literal, General_address_literal,
                    Standardized_tag, dcontent, Snum, IPv6_addr, IPv6_hex, IPv6_full, IPv6_comp,
                    IPv6v4_full, IPv6v4_comp)

/// The static RFC name of the rule that x3::what() called `which`, or "" if it names no rule.
inline std::string_view rule_named(std::string const& which) {
    for (char const* name : {ALPHA.name,
                             DIGIT.name,
                             HEXDIG.name,
                             DQUOTE.name,
                             SP.name,
                             CRLF.name,
                             ehlo.name,
                             helo.name,
                             mail.name,
                             rcpt.name,
                             data.name,
                             rset.name,
                             vrfy.name,
                             help.name,
                             noop.name,
                             quit.name,
                             Reverse_path.name,
                             Forward_path.name,
                             Path.name,
                             A_d_l.name,
                             At_domain.name,
                             Mail_parameters.name,
                             Rcpt_parameters.name,
                             esmtp_param.name,
                             esmtp_keyword.name,
                             esmtp_value.name,
                             Keyword.name,
                             Argument.name,
                             Domain.name,
                             sub_domain.name,
                             Let_dig.name,
                             Ldh_str.name,
                             address_literal.name,
                             Mailbox.name,
                             Local_part.name,
                             Dot_string.name,
                             Atom.name,
                             Quoted_string.name,
                             QcontentSMTP.name,
                             quoted_pairSMTP.name,
                             qtextSMTP.name,
                             String.name,
                             atext.name,
                             IPv4_address_literal.name,
                             IPv6_address_literal.name,
                             General_address_literal.name,
                             Standardized_tag.name,
                             dcontent.name,
                             Snum.name,
                             IPv6_addr.name,
                             IPv6_hex.name,
                             IPv6_full.name,
                             IPv6_comp.name,
                             IPv6v4_full.name,
                             IPv6v4_comp.name}) {
        if (which == name) {
            return name;
        }
    }
    return {};
}

} // namespace smtpd::grammar::rfc5321

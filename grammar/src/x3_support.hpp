// Plumbing shared by the hand-written X3 grammars of grammar/src and, later, by the generated
// ones: ABNF's case-insensitive quoted strings, %d ranges, and the bookkeeping that turns an X3
// expectation failure into a ParseError naming an RFC rule. Included only by *_def.hpp files.
// Depends on: Boost.Spirit X3 and the standard library.
#pragma once

#include <boost/spirit/home/x3.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace smtpd::grammar::abnf {

namespace x3 = boost::spirit::x3;

/// An ABNF quoted string, matched ASCII case-insensitively (RFC 5234 §2.3). X3's no_case is not
/// used: its std::tolower asserts on bytes >= 0x80, which the input may hold.
struct abnf_string : x3::parser<abnf_string> {
    using attribute_type = x3::unused_type;
    static bool const has_attribute = false;
    constexpr explicit abnf_string(char const* s) : text(s) {}

    static constexpr char fold(char c) {
        return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    }
    template <class It, class Ctx, class RCtx, class Attr>
    bool parse(It& first, It const& last, Ctx const& /*ctx*/, RCtx& /*rctx*/,
               Attr& /*attr*/) const {
        It it = first;
        for (char const* p = text; *p != '\0'; ++p, ++it) {
            if (it == last || fold(*it) != fold(*p)) {
                return false;
            }
        }
        first = it;
        return true;
    }
    char const* text;
};

/// %dLO-HI of ABNF, for the byte values 0..127 only.
constexpr auto r(char lo, char hi) {
    return x3::char_(lo, hi);
}

struct failure_tag;
/// Filled while an expectation failure unwinds: the innermost rule whose '>' failed.
struct Failure {
    std::string_view enclosing;
};
using context_type = x3::context<failure_tag, std::reference_wrapper<Failure>, x3::unused_type>;

/// Base of the ids of rules that hold expectation points: notes the rule's RFC name, rethrows.
template <class Id> struct noted {
    template <class It, class Exc, class Ctx>
    x3::error_handler_result on_error(It& /*first*/, It const& /*last*/, Exc const& /*x*/,
                                      Ctx const& ctx) const {
        Failure& failure = x3::get<failure_tag>(ctx).get();
        if (failure.enclosing.empty()) {
            failure.enclosing = Id::name;
        }
        return x3::error_handler_result::rethrow;
    }
};

} // namespace smtpd::grammar::abnf

namespace boost::spirit::x3 {
// what() of an action or raw[] is what() of its subject, so that an expectation failure on
// raw[Domain][f] names "Domain".
template <class Subject, class Action> struct get_info<action<Subject, Action>> {
    using result_type = std::string;
    std::string operator()(action<Subject, Action> const& p) const { return what(p.subject); }
};
template <class Subject> struct get_info<raw_directive<Subject>> {
    using result_type = std::string;
    std::string operator()(raw_directive<Subject> const& p) const { return what(p.subject); }
};
template <> struct get_info<smtpd::grammar::abnf::abnf_string> {
    using result_type = std::string;
    std::string operator()(smtpd::grammar::abnf::abnf_string const& p) const {
        return '"' + std::string(p.text) + '"';
    }
};
} // namespace boost::spirit::x3

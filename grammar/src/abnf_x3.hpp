// The X3 primitives the generated parsers are made of (see grammar/gen/): ABNF terminals over raw
// bytes (no locale, no char signedness: a byte is an unsigned char), a DFA-backed parser for the
// rules PEG cannot read exactly, and captures: the text matched by chosen rules is recorded, in
// input order, in a sink reached through the X3 context; wherever the parse backtracks (an
// alternative, an option, a repetition) captures made by the abandoned attempt are dropped.
// Every parser leaves the iterator where it was when it fails. Depends on: Boost.Spirit X3.
#pragma once

#include "abnf_capture.hpp"

#include <boost/spirit/home/x3.hpp>

#include <cstdint>
#include <string_view>
#include <vector>

namespace smtpd::grammar::abnf_x3 {

namespace x3 = boost::spirit::x3;

/// The parse's side channel, reached through the X3 context: where captures go (offsets are from
/// `base`), the rules being parsed, and the furthest failure so far.
struct Sink {
    struct Frame {
        std::string_view rule;
        char const* start;
    };
    char const* base = nullptr;
    std::vector<Capture>* out = nullptr;
    std::vector<Frame> rules;
    Failure failure;

    /// A terminal could not match at `at`: remember it if it is the furthest yet.
    void failed_at(char const* at) {
        auto const offset = static_cast<std::uint32_t>(at - base);
        if (offset < failure.offset) {
            return;
        }
        failure.offset = offset;
        failure.rule = rules.empty() ? std::string_view() : rules.back().rule;
        for (auto const& frame : rules) {
            if (frame.start == at) {
                failure.rule = frame.rule;
                break;
            }
        }
    }
};

struct sink_tag;

inline unsigned char fold(unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c - 'A' + 'a') : c;
}

/// A char-val ("..." case-insensitive in ASCII, %s"..." sensitive) or a num-val sequence.
struct literal : x3::parser<literal> {
    using attribute_type = x3::unused_type;
    static bool const has_attribute = false;
    std::string_view text;
    bool case_sensitive = true;

    constexpr literal(std::string_view t, bool cs) : text(t), case_sensitive(cs) {}

    template <class It, class Ctx, class RCtx, class Attr>
    bool parse(It& first, It const& last, Ctx const& ctx, RCtx&, Attr&) const {
        It it = first;
        for (char const want : text) {
            auto const w = static_cast<unsigned char>(want);
            if (it == last || (case_sensitive ? static_cast<unsigned char>(*it) != w
                                              : fold(static_cast<unsigned char>(*it)) != fold(w))) {
                x3::get<sink_tag>(ctx).failed_at(it);
                return false;
            }
            ++it;
        }
        first = it;
        return true;
    }
};

/// %xLO-HI: one byte in a range.
struct byte_range : x3::parser<byte_range> {
    using attribute_type = x3::unused_type;
    static bool const has_attribute = false;
    unsigned char lo = 0;
    unsigned char hi = 0;

    constexpr byte_range(unsigned char l, unsigned char h) : lo(l), hi(h) {}

    template <class It, class Ctx, class RCtx, class Attr>
    bool parse(It& first, It const& last, Ctx const& ctx, RCtx&, Attr&) const {
        if (first == last || static_cast<unsigned char>(*first) < lo ||
            static_cast<unsigned char>(*first) > hi) {
            x3::get<sink_tag>(ctx).failed_at(first);
            return false;
        }
        ++first;
        return true;
    }
};

/// The longest prefix a DFA accepts. Tables are generated; -1 means no way to a match.
struct dfa : x3::parser<dfa> {
    using attribute_type = x3::unused_type;
    static bool const has_attribute = false;
    std::uint16_t const* byte_class = nullptr; ///< [256]
    std::int32_t const* next = nullptr;        ///< [states][classes]
    bool const* accepting = nullptr;           ///< [states]
    unsigned classes = 0;

    constexpr dfa(std::uint16_t const* bc, std::int32_t const* n, bool const* acc, unsigned c)
        : byte_class(bc), next(n), accepting(acc), classes(c) {}

    template <class It, class Ctx, class RCtx, class Attr>
    bool parse(It& first, It const& last, Ctx const& ctx, RCtx&, Attr&) const {
        std::int32_t state = 0;
        bool matched = accepting[0];
        It end = first;
        It it = first;
        for (; it != last; ++it) {
            auto const cls = byte_class[static_cast<unsigned char>(*it)];
            state = next[static_cast<std::size_t>(state) * classes + cls];
            if (state < 0) {
                break;
            }
            if (accepting[state]) {
                matched = true;
                end = std::next(it);
            }
        }
        x3::get<sink_tag>(ctx).failed_at(it); // where it could go no further
        if (matched) {
            first = end;
        }
        return matched;
    }
};

/// Records what `subject` matched under `id`.
template <class Subject>
struct capture_directive : x3::unary_parser<Subject, capture_directive<Subject>> {
    using base_type = x3::unary_parser<Subject, capture_directive<Subject>>;
    static bool const is_pass_through_unary = true;
    std::uint16_t id = 0;

    constexpr capture_directive(Subject const& s, std::uint16_t i) : base_type(s), id(i) {}

    template <class It, class Ctx, class RCtx, class Attr>
    bool parse(It& first, It const& last, Ctx const& ctx, RCtx& rctx, Attr&) const {
        Sink& sink = x3::get<sink_tag>(ctx);
        It const start = first;
        std::size_t const mark = sink.out->size();
        if (!this->subject.parse(first, last, ctx, rctx, x3::unused)) {
            sink.out->resize(mark);
            return false;
        }
        // The generated parsers run over char const*: offsets are pointer differences.
        sink.out->push_back(Capture{id, static_cast<std::uint32_t>(start - sink.base),
                                    static_cast<std::uint32_t>(first - sink.base)});
        return true;
    }
};

/// Drops the captures `subject` made if it fails (a backtracking point).
template <class Subject>
struct scoped_directive : x3::unary_parser<Subject, scoped_directive<Subject>> {
    using base_type = x3::unary_parser<Subject, scoped_directive<Subject>>;
    static bool const is_pass_through_unary = true;

    constexpr explicit scoped_directive(Subject const& s) : base_type(s) {}

    template <class It, class Ctx, class RCtx, class Attr>
    bool parse(It& first, It const& last, Ctx const& ctx, RCtx& rctx, Attr&) const {
        Sink& sink = x3::get<sink_tag>(ctx);
        std::size_t const mark = sink.out->size();
        if (this->subject.parse(first, last, ctx, rctx, x3::unused)) {
            return true;
        }
        sink.out->resize(mark);
        return false;
    }
};

/// Marks the extent of an ABNF rule for Failure: the generated rules wrap their definitions.
template <class Subject>
struct named_directive : x3::unary_parser<Subject, named_directive<Subject>> {
    using base_type = x3::unary_parser<Subject, named_directive<Subject>>;
    static bool const is_pass_through_unary = true;
    std::string_view rule;

    constexpr named_directive(Subject const& s, std::string_view r) : base_type(s), rule(r) {}

    template <class It, class Ctx, class RCtx, class Attr>
    bool parse(It& first, It const& last, Ctx const& ctx, RCtx& rctx, Attr&) const {
        Sink& sink = x3::get<sink_tag>(ctx);
        sink.rules.push_back({rule, first});
        bool const ok = this->subject.parse(first, last, ctx, rctx, x3::unused);
        sink.rules.pop_back();
        return ok;
    }
};

struct named_gen {
    std::string_view rule;
    template <class Subject> constexpr auto operator[](Subject const& subject) const {
        using S = typename x3::extension::as_parser<Subject>::value_type;
        return named_directive<S>(x3::as_parser(subject), rule);
    }
};

constexpr named_gen named(std::string_view rule) {
    return {rule};
}

struct capture_gen {
    std::uint16_t id;
    template <class Subject> constexpr auto operator[](Subject const& subject) const {
        using S = typename x3::extension::as_parser<Subject>::value_type;
        return capture_directive<S>(x3::as_parser(subject), id);
    }
};

struct scoped_gen {
    template <class Subject> constexpr auto operator[](Subject const& subject) const {
        using S = typename x3::extension::as_parser<Subject>::value_type;
        return scoped_directive<S>(x3::as_parser(subject));
    }
};

constexpr capture_gen capture(std::uint16_t id) {
    return {id};
}
inline constexpr scoped_gen scoped{};

} // namespace smtpd::grammar::abnf_x3

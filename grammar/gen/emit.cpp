// Deciding how each rule is parsed (PEG, DFA, override) and writing the X3 code; see emit.hpp.
// Depends on: emit.hpp.
#include "gen/emit.hpp"

#include <algorithm>
#include <sstream>

namespace smtpd::abnfgen {

using abnf::Key;
using abnf::Node;
using abnf::NodeKind;

namespace {

constexpr std::size_t kMaxDfaStates = 20000;
constexpr std::string_view kProse = "a prose-val cannot be generated: <";

std::string describe(ByteSet const& set) {
    std::string out;
    int shown = 0;
    for (unsigned b = 0; b < 256 && shown < 8; ++b) {
        if (!set.test(b)) {
            continue;
        }
        out += out.empty() ? "" : " ";
        if (b > 0x20 && b < 0x7f && b != '"') {
            out += '"' + std::string(1, static_cast<char>(b)) + '"';
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "%%x%02X", b);
            out += buf;
        }
        ++shown;
    }
    return set.count() > 8 ? out + " ..." : out;
}

Node const& unwrap_group(Node const& node) {
    return node.kind == NodeKind::Group ? unwrap_group(node.children.front()) : node;
}

/// A C++ string literal holding exactly `bytes`.
std::string cpp_string(std::string_view bytes) {
    std::string out = "\"";
    for (char const ch : bytes) {
        auto const c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?') {
            out += ch;
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\%03o", c);
            out += buf;
        }
    }
    return out + "\"";
}

bool has_letter(std::string_view text) {
    return std::any_of(text.begin(), text.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); });
}

} // namespace

/// The exactness checks of one rule; records problems and the alternations to distribute.
struct Generator::Check {
    Generator& gen;
    std::vector<std::string>& problems;

    void node(Node const& n, Follow const& after, std::vector<Node const*> const& suffix) {
        Analysis const& a = gen.analysis_;
        switch (n.kind) {
        case NodeKind::Alternation:
            alternation(n, after, suffix);
            break;
        case NodeKind::Option:
            option(n, after, suffix);
            break;
        case NodeKind::Repetition:
            repetition(n, after, suffix);
            break;
        case NodeKind::ProseVal:
            problems.push_back(std::string(kProse) + n.text + ">");
            return;
        default:
            break;
        }
        if (n.kind == NodeKind::Concatenation) {
            std::size_t i = 0;
            a.for_each_child(n, after, [&](Node const& child, Follow const& f) {
                std::vector<Node const*> rest;
                for (std::size_t j = ++i; j < n.children.size(); ++j) {
                    rest.push_back(&n.children[j]);
                }
                node(child, f, rest);
            });
            return;
        }
        bool const group = n.kind == NodeKind::Group;
        a.for_each_child(n, after, [&](Node const& child, Follow const& f) {
            // A prose alternative (a prose rule extended with "=/" by an override's ABNF shape)
            // matches nothing and needs no check; prose anywhere else cannot be generated.
            if (n.kind == NodeKind::Alternation && child.kind == NodeKind::ProseVal) {
                return;
            }
            node(child, f, group ? suffix : std::vector<Node const*>{});
        });
    }

    /// An alternation is deterministic under PEG if it is LL(1), or if its language (alone or
    /// followed by the rest of its concatenation) is prefix-free.
    void alternation(Node const& n, Follow const& after, std::vector<Node const*> const& suffix) {
        Analysis const& a = gen.analysis_;
        ByteSet seen;
        bool ll1 = true;
        int nullable = 0;
        for (auto const& alt : n.children) {
            ByteSet const f = a.first(alt);
            ll1 = ll1 && (f & seen).none();
            seen |= f;
            nullable += a.nullable(alt) ? 1 : 0;
        }
        if (nullable > 1 || (nullable == 1 && (seen & after.bytes).any())) {
            ll1 = false;
        }
        if (ll1 || prefix_free_with(n, {})) {
            return;
        }
        if (!suffix.empty() && prefix_free_with(n, suffix)) {
            gen.distribute_.insert(&n);
            return;
        }
        problems.push_back("alternatives overlap (first bytes " + overlap(n) +
                           ") and their language is not prefix-free");
    }

    void option(Node const& n, Follow const& after, std::vector<Node const*> const& suffix) {
        Analysis const& a = gen.analysis_;
        Node const& child = n.children.front();
        if (!a.nullable(child) && (a.first(child) & after.bytes).none()) {
            return;
        }
        // [x] S  is  (x S) / S: deterministic if that language is prefix-free.
        if (!suffix.empty() && !a.nullable(child) && prefix_free_with(n, suffix)) {
            gen.distribute_.insert(&n);
            return;
        }
        problems.push_back("an option may take bytes that can follow it (" +
                           describe(a.first(child) & after.bytes) + ")");
    }

    /// A repetition is exact under greedy PEG if its element cannot start with what follows it,
    /// or if the element's language and that of the rest of its concatenation are disjoint and
    /// their union prefix-free (then at each step at most one of "again" and "stop" can match).
    void repetition(Node const& n, Follow const& after, std::vector<Node const*> const& suffix) {
        Analysis const& a = gen.analysis_;
        Node const& child = n.children.front();
        if (n.min == n.max) {
            return;
        }
        if (a.nullable(child)) {
            problems.emplace_back("a repetition of an element that can match the empty string");
        } else if ((a.first(child) & after.bytes).any() && !stops_exactly(child, suffix)) {
            problems.push_back("a repetition may take bytes that can follow it (" +
                               describe(a.first(child) & after.bytes) + ")");
        }
    }

    bool stops_exactly(Node const& child, std::vector<Node const*> const& suffix) {
        if (suffix.empty()) {
            return false;
        }
        Node rest;
        rest.kind = NodeKind::Concatenation;
        for (Node const* s : suffix) {
            rest.children.push_back(*s);
        }
        Node both;
        both.kind = NodeKind::Alternation;
        both.children = {child, rest};
        std::string why;
        auto const one = build_dfa(gen.analysis_, {&child}, kMaxDfaStates, why);
        auto const other = build_dfa(gen.analysis_, suffix, kMaxDfaStates, why);
        auto const union_dfa = build_dfa(gen.analysis_, {&both}, kMaxDfaStates, why);
        return one && other && union_dfa && disjoint(*one, *other) && prefix_free(*union_dfa);
    }

    bool prefix_free_with(Node const& n, std::vector<Node const*> const& suffix) {
        std::vector<Node const*> seq{&n};
        seq.insert(seq.end(), suffix.begin(), suffix.end());
        std::string why;
        auto const dfa = build_dfa(gen.analysis_, seq, kMaxDfaStates, why);
        return dfa && prefix_free(*dfa);
    }

    [[nodiscard]] std::string overlap(Node const& n) const {
        ByteSet seen;
        ByteSet both;
        for (auto const& alt : n.children) {
            ByteSet const f = gen.analysis_.first(alt);
            both |= f & seen;
            seen |= f;
        }
        return describe(both);
    }
};

Generator::Generator(Analysis const& analysis, Spec spec, std::set<Key> allowed_overrides)
    : analysis_(analysis), spec_(std::move(spec)), allowed_(std::move(allowed_overrides)),
      captured_(spec_.captures.begin(), spec_.captures.end()) {
    for (auto const& key : analysis_.reachable()) {
        decide(key);
    }
}

void Generator::decide(Key const& key) {
    Decision d;
    auto const* rule = analysis_.grammar().find(key);
    if (rule == nullptr) {
        d.reasons.emplace_back("undefined rule");
        decisions_[key] = std::move(d);
        return;
    }
    if (analysis_.recursive(key)) {
        d.reasons.emplace_back("recursive rules are not supported");
    } else {
        Check check{*this, d.reasons};
        check.node(rule->definition, analysis_.follow(key), {});
    }
    if (d.reasons.empty()) {
        d.mode = Mode::Peg;
    } else {
        bool const inner_capture = captures_inside(key);
        bool const prose = std::any_of(d.reasons.begin(), d.reasons.end(),
                                       [](auto const& r) { return r.starts_with(kProse); });
        std::string why;
        if (!inner_capture && !prose) {
            d.dfa = build_dfa(analysis_, {&rule->definition}, kMaxDfaStates, why);
        }
        if (d.dfa && longest_match_exact(*d.dfa, analysis_.follow(key).bytes)) {
            d.mode = Mode::Dfa;
        } else {
            d.dfa.reset();
            d.reasons.push_back(prose           ? "as a DFA: it is prose"
                                : inner_capture ? "as a DFA: a captured rule lies inside"
                                : !why.empty()
                                    ? "as a DFA: " + why
                                    : "as a DFA: a byte that can follow the rule extends a match");
            d.mode = allowed_.count(key) != 0 ? Mode::Override : Mode::Refused;
        }
    }
    decisions_[key] = std::move(d);
}

std::string Generator::ident(Key const& key) {
    std::string out;
    for (char const c : key) {
        out += (c == '-' || c == ':') ? '_' : c;
    }
    return out;
}

bool Generator::captures_inside(Key const& rule) const {
    auto const closure = analysis_.closure(rule);
    return std::any_of(closure.begin(), closure.end(),
                       [&](Key const& k) { return captured_.count(k) != 0; });
}

bool Generator::has_capture(Node const& node) const {
    if (node.kind == NodeKind::RuleRef) {
        return captured_.count(node.name) != 0 || captures_inside(node.name);
    }
    return std::any_of(node.children.begin(), node.children.end(),
                       [&](Node const& c) { return has_capture(c); });
}

std::string Generator::concatenation(Node const& node, Follow const& after) const {
    std::vector<std::string> parts;
    std::size_t i = 0;
    std::vector<Follow> follows;
    analysis_.for_each_child(node, after,
                             [&](Node const&, Follow const& f) { follows.push_back(f); });
    for (; i < node.children.size(); ++i) {
        Node const& inner = unwrap_group(node.children[i]);
        if (distribute_.count(&inner) == 0) {
            parts.push_back(expr(node.children[i], follows[i]));
            continue;
        }
        // (a / b) S  ->  (a S) / (b S);   [a] S  ->  (a S) / S
        std::string suffix;
        for (std::size_t j = i + 1; j < node.children.size(); ++j) {
            suffix += " >> " + expr(node.children[j], follows[j]);
        }
        std::vector<std::string> alts;
        if (inner.kind == NodeKind::Option) {
            alts.push_back(expr(inner.children.front(), follows[i]) + suffix);
            alts.push_back(suffix.substr(4));
        } else {
            for (auto const& alt : inner.children) {
                alts.push_back(expr(alt, follows[i]) + suffix);
            }
        }
        std::string joined;
        for (auto const& alt : alts) {
            joined += (joined.empty() ? "" : " | ") +
                      (has_capture(node) ? "abnf_x3::scoped[" + alt + "]" : "(" + alt + ")");
        }
        parts.push_back("(" + joined + ")");
        break;
    }
    std::string out;
    for (auto const& p : parts) {
        out += (out.empty() ? "" : " >> ") + p;
    }
    return parts.size() == 1 ? out : "(" + out + ")";
}

std::string Generator::expr(Node const& node, Follow const& after) const {
    auto const wrap = [&](Node const& child, std::string const& e) {
        return has_capture(child) ? "abnf_x3::scoped[" + e + "]" : e;
    };
    switch (node.kind) {
    case NodeKind::Alternation: {
        std::vector<Node const*> order;
        for (auto const& c : node.children) {
            if (!analysis_.nullable(c)) {
                order.push_back(&c);
            }
        }
        for (auto const& c : node.children) {
            if (analysis_.nullable(c)) {
                order.push_back(&c);
            }
        }
        std::string out;
        for (Node const* c : order) {
            out += (out.empty() ? "" : " | ") + wrap(*c, expr(*c, after));
        }
        return "(" + out + ")";
    }
    case NodeKind::Concatenation:
        return concatenation(node, after);
    case NodeKind::Group:
        return expr(node.children.front(), after);
    case NodeKind::Option: {
        Follow f = after;
        return "-(" + wrap(node.children.front(), expr(node.children.front(), f)) + ")";
    }
    case NodeKind::Repetition: {
        Follow f = after;
        if (node.max > 1) {
            f.bytes |= analysis_.first(node.children.front());
        }
        std::string const body = wrap(node.children.front(), expr(node.children.front(), f));
        if (node.min == 0 && node.max == abnf::kUnbounded) {
            return "*(" + body + ")";
        }
        if (node.min == 1 && node.max == abnf::kUnbounded) {
            return "+(" + body + ")";
        }
        if (node.max == abnf::kUnbounded) {
            return "x3::repeat(" + std::to_string(node.min) + ", x3::inf)[" + body + "]";
        }
        if (node.min == node.max) {
            return "x3::repeat(" + std::to_string(node.min) + ")[" + body + "]";
        }
        return "x3::repeat(" + std::to_string(node.min) + ", " + std::to_string(node.max) + ")[" +
               body + "]";
    }
    case NodeKind::RuleRef:
        if (captured_.count(node.name) != 0) {
            return "abnf_x3::capture(static_cast<std::uint16_t>(Cap::" + ident(node.name) + "))[" +
                   ident(node.name) + "]";
        }
        return ident(node.name);
    case NodeKind::CharVal:
        return "abnf_x3::literal(" + cpp_string(node.text) + ", " +
               (node.case_sensitive || !has_letter(node.text) ? "true" : "false") + ")";
    case NodeKind::NumRange:
        if (node.values[0] > 255) {
            return "x3::eps(false)";
        }
        return "abnf_x3::byte_range(" + std::to_string(node.values[0]) + ", " +
               std::to_string(std::min<std::uint32_t>(node.values[1], 255)) + ")";
    case NodeKind::NumSeq: {
        std::string bytes;
        for (auto const v : node.values) {
            if (v > 255) {
                return "x3::eps(false)";
            }
            bytes += static_cast<char>(v);
        }
        return "abnf_x3::literal(" + cpp_string(bytes) + ", true)";
    }
    case NodeKind::ProseVal:
        return "x3::eps(false)";
    }
    return "x3::eps(false)";
}

} // namespace smtpd::abnfgen

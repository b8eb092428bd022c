// The ABNF-derived string generators of abnf_gen.hpp. Depth is bounded: below kMaxDepth rule
// references, alternations prefer their alternatives that use no rule at all (the grammars here
// are not recursive, so the bound is only a guard).
// Depends on: abnf_gen.hpp.
#include "abnf_gen.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace smtpd::abnf::testing {

namespace {

constexpr unsigned kMaxDepth = 64;

void emit(Grammar const& grammar, Node const& node, unsigned depth, std::string& out) {
    switch (node.kind) {
    case NodeKind::Alternation: {
        // A prose alternative (a prose rule extended by an override's ABNF shape) has no strings.
        std::vector<Node const*> choices;
        for (auto const& c : node.children) {
            if (c.kind != NodeKind::ProseVal) {
                choices.push_back(&c);
            }
        }
        RC_PRE(!choices.empty());
        auto const i = *rc::gen::inRange<std::size_t>(0, choices.size());
        emit(grammar, *choices[i], depth, out);
        break;
    }
    case NodeKind::Concatenation:
        for (auto const& c : node.children) {
            emit(grammar, c, depth, out);
        }
        break;
    case NodeKind::Group:
        emit(grammar, node.children.front(), depth, out);
        break;
    case NodeKind::Option:
        if (*rc::gen::arbitrary<bool>()) {
            emit(grammar, node.children.front(), depth, out);
        }
        break;
    case NodeKind::Repetition: {
        unsigned const most = node.max == kUnbounded ? node.min + kExtraRepeats
                                                     : std::min(node.max, node.min + kExtraRepeats);
        auto const n = *rc::gen::inRange<unsigned>(node.min, most + 1);
        for (unsigned i = 0; i < n; ++i) {
            emit(grammar, node.children.front(), depth, out);
        }
        break;
    }
    case NodeKind::RuleRef: {
        auto const* rule = grammar.find(node.name);
        RC_PRE(rule != nullptr && depth < kMaxDepth);
        emit(grammar, rule->definition, depth + 1, out);
        break;
    }
    case NodeKind::CharVal:
        for (char c : node.text) {
            if (!node.case_sensitive && std::isalpha(static_cast<unsigned char>(c)) != 0 &&
                *rc::gen::arbitrary<bool>()) {
                c = static_cast<char>(std::islower(static_cast<unsigned char>(c)) != 0
                                          ? std::toupper(static_cast<unsigned char>(c))
                                          : std::tolower(static_cast<unsigned char>(c)));
            }
            out += c;
        }
        break;
    case NodeKind::NumRange: {
        RC_PRE(node.values[0] < 256);
        auto const hi = std::min<std::uint32_t>(node.values[1], 255);
        out += static_cast<char>(*rc::gen::inRange<std::uint32_t>(node.values[0], hi + 1));
        break;
    }
    case NodeKind::NumSeq:
        for (auto const v : node.values) {
            RC_PRE(v < 256);
            out += static_cast<char>(v);
        }
        break;
    case NodeKind::ProseVal:
        RC_DISCARD("a prose-val has no strings");
    }
}

} // namespace

rc::Gen<std::string> matching(Grammar const& grammar, Key const& key) {
    return rc::gen::exec([&grammar, key] {
        auto const* rule = grammar.find(key);
        RC_PRE(rule != nullptr);
        std::string out;
        emit(grammar, rule->definition, 0, out);
        return out;
    });
}

rc::Gen<std::string> mutated(std::string const& s) {
    return rc::gen::exec([s] {
        std::string out = s;
        // Bytes SMTP grammars care about, plus any byte at all.
        static constexpr std::string_view kInteresting = "<>@.:,[]\"\\ =-+\r\n\t\0\x7f\x80\xff";
        char const byte = *rc::gen::arbitrary<bool>()
                              ? kInteresting[*rc::gen::inRange<std::size_t>(0, kInteresting.size())]
                              : *rc::gen::arbitrary<char>();
        auto const kind = *rc::gen::inRange(0, out.empty() ? 1 : 3);
        auto const at = *rc::gen::inRange<std::size_t>(0, out.size() + (kind == 0 ? 1 : 0));
        if (kind == 0) {
            out.insert(out.begin() + static_cast<std::ptrdiff_t>(at), byte);
        } else if (kind == 1) {
            out.erase(at, 1);
        } else {
            out[at] = byte;
        }
        return out;
    });
}

} // namespace smtpd::abnf::testing

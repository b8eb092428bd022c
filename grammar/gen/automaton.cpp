// Thompson NFA construction over an ABNF element (rules inlined, repetitions unrolled), subset
// construction into a DFA over byte classes, and the two language checks of automaton.hpp.
// Depends on: automaton.hpp.
#include "gen/automaton.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace smtpd::abnfgen {

using abnf::Key;
using abnf::Node;
using abnf::NodeKind;

namespace {

struct Edge {
    ByteSet on; ///< empty: an epsilon edge
    std::size_t to = 0;
};

/// An NFA under construction; fragments have one entry and one exit state.
class Nfa {
  public:
    Nfa(Analysis const& analysis, std::size_t max_states)
        : analysis_(analysis), max_states_(max_states) {}

    std::size_t add() {
        edges_.emplace_back();
        if (edges_.size() > max_states_) {
            fail("the automaton has more than " + std::to_string(max_states_) + " states");
        }
        return edges_.size() - 1;
    }
    void link(std::size_t from, std::size_t to, ByteSet on = {}) {
        edges_[from].push_back({on, to});
    }

    /// Builds `node` between `from` and a new state, which it returns.
    std::size_t build(Node const& node, std::size_t from) {
        if (!why_.empty()) {
            return from;
        }
        switch (node.kind) {
        case NodeKind::Alternation: {
            std::size_t const out = add();
            for (auto const& c : node.children) {
                link(build(c, from), out);
            }
            return out;
        }
        case NodeKind::Concatenation:
            for (auto const& c : node.children) {
                from = build(c, from);
            }
            return from;
        case NodeKind::Group:
            return build(node.children.front(), from);
        case NodeKind::Option: {
            // A fresh exit: the child's own exit may have edges of its own (a loop), and the
            // epsilon that skips the option must not lead into them.
            std::size_t const out = add();
            link(build(node.children.front(), from), out);
            link(from, out);
            return out;
        }
        case NodeKind::Repetition:
            return repetition(node, from);
        case NodeKind::RuleRef:
            return rule(node.name, from);
        case NodeKind::CharVal:
            for (char const ch : node.text) {
                auto const c = static_cast<unsigned char>(ch);
                ByteSet on;
                on.set(c);
                if (!node.case_sensitive && std::isalpha(c) != 0) {
                    on.set(static_cast<unsigned char>(std::tolower(c)));
                    on.set(static_cast<unsigned char>(std::toupper(c)));
                }
                std::size_t const next = add();
                link(from, next, on);
                from = next;
            }
            return from;
        case NodeKind::NumRange:
        case NodeKind::NumSeq:
            return numbers(node, from);
        case NodeKind::ProseVal:
            // Matches nothing (as in the oracle): a fresh state with no way in. A rule that is
            // only prose is refused before any automaton is built (emit.cpp).
            return add();
        }
        return from;
    }

    [[nodiscard]] std::string const& why() const { return why_; }
    [[nodiscard]] std::vector<std::vector<Edge>> const& edges() const { return edges_; }

  private:
    std::size_t repetition(Node const& node, std::size_t from) {
        Node const& child = node.children.front();
        for (unsigned i = 0; i < node.min && why_.empty(); ++i) {
            from = build(child, from);
        }
        if (node.max == abnf::kUnbounded) {
            std::size_t const loop = add();
            link(from, loop);
            link(build(child, loop), loop);
            return loop;
        }
        std::size_t const out = add();
        link(from, out);
        for (unsigned i = node.min; i < node.max && why_.empty(); ++i) {
            from = build(child, from);
            link(from, out);
        }
        return out;
    }

    std::size_t rule(Key const& key, std::size_t from) {
        if (std::find(active_.begin(), active_.end(), key) != active_.end()) {
            fail("rule " + key + " is recursive");
            return from;
        }
        auto const* r = analysis_.grammar().find(key);
        if (r == nullptr) {
            fail("rule " + key + " is not defined");
            return from;
        }
        active_.push_back(key);
        std::size_t const out = build(r->definition, from);
        active_.pop_back();
        return out;
    }

    std::size_t numbers(Node const& node, std::size_t from) {
        if (node.kind == NodeKind::NumRange) {
            ByteSet on;
            for (auto v = node.values[0]; v <= node.values[1] && v < 256; ++v) {
                on.set(v);
            }
            std::size_t const next = add();
            if (on.any()) {
                link(from, next, on);
            }
            return next;
        }
        for (auto const v : node.values) {
            std::size_t const next = add();
            if (v < 256) {
                ByteSet on;
                on.set(v);
                link(from, next, on);
            }
            from = next;
        }
        return from;
    }

    void fail(std::string why) {
        if (why_.empty()) {
            why_ = std::move(why);
        }
    }

    Analysis const& analysis_;
    std::size_t max_states_;
    std::vector<std::vector<Edge>> edges_;
    std::vector<Key> active_;
    std::string why_;
};

using StateSet = std::vector<std::size_t>;

StateSet closure(std::vector<std::vector<Edge>> const& edges, StateSet states) {
    std::set<std::size_t> seen(states.begin(), states.end());
    for (std::size_t i = 0; i < states.size(); ++i) {
        for (auto const& e : edges[states[i]]) {
            if (e.on.none() && seen.insert(e.to).second) {
                states.push_back(e.to);
            }
        }
    }
    return {seen.begin(), seen.end()};
}

/// Partitions the bytes into classes that every edge treats alike.
void byte_classes(std::vector<std::vector<Edge>> const& edges, Dfa& dfa) {
    std::vector<ByteSet> sets;
    for (auto const& out : edges) {
        for (auto const& e : out) {
            if (e.on.any() && std::find(sets.begin(), sets.end(), e.on) == sets.end()) {
                sets.push_back(e.on);
            }
        }
    }
    std::map<std::vector<bool>, std::uint16_t> signature_class;
    for (unsigned b = 0; b < 256; ++b) {
        std::vector<bool> signature;
        signature.reserve(sets.size());
        for (auto const& s : sets) {
            signature.push_back(s.test(b));
        }
        auto const [it, inserted] =
            signature_class.emplace(signature, static_cast<std::uint16_t>(signature_class.size()));
        dfa.byte_class[b] = it->second;
    }
    dfa.classes = static_cast<unsigned>(signature_class.size());
}

} // namespace

std::optional<Dfa> build_dfa(Analysis const& analysis, std::vector<Node const*> const& sequence,
                             std::size_t max_states, std::string& why) {
    Nfa nfa(analysis, max_states * 4);
    std::size_t const start = nfa.add();
    std::size_t end = start;
    for (Node const* node : sequence) {
        end = nfa.build(*node, end);
    }
    if (!nfa.why().empty()) {
        why = nfa.why();
        return std::nullopt;
    }
    auto const& edges = nfa.edges();
    Dfa dfa;
    byte_classes(edges, dfa);
    std::vector<unsigned> sample(dfa.classes);
    for (unsigned b = 256; b-- > 0;) {
        sample[dfa.byte_class[b]] = b;
    }
    std::map<StateSet, std::int32_t> index;
    std::vector<StateSet> states{closure(edges, {start})};
    index[states.front()] = 0;
    for (std::size_t i = 0; i < states.size(); ++i) {
        if (states.size() > max_states) {
            why = "the DFA has more than " + std::to_string(max_states) + " states";
            return std::nullopt;
        }
        StateSet const current = states[i];
        dfa.accepting.push_back(std::binary_search(current.begin(), current.end(), end));
        dfa.next.emplace_back(dfa.classes, -1);
        for (unsigned c = 0; c < dfa.classes; ++c) {
            StateSet moved;
            for (auto const s : current) {
                for (auto const& e : edges[s]) {
                    if (e.on.test(sample[c])) {
                        moved.push_back(e.to);
                    }
                }
            }
            if (moved.empty()) {
                continue;
            }
            StateSet target = closure(edges, moved);
            auto const [it, inserted] =
                index.emplace(target, static_cast<std::int32_t>(states.size()));
            if (inserted) {
                states.push_back(std::move(target));
            }
            dfa.next[i][c] = it->second;
        }
    }
    // live: backwards reachability from the accepting states
    dfa.live = dfa.accepting;
    for (bool changed = true; changed;) {
        changed = false;
        for (std::size_t s = 0; s < dfa.next.size(); ++s) {
            if (dfa.live[s]) {
                continue;
            }
            for (auto const t : dfa.next[s]) {
                if (t >= 0 && dfa.live[static_cast<std::size_t>(t)]) {
                    dfa.live[s] = true;
                    changed = true;
                    break;
                }
            }
        }
    }
    return dfa;
}

bool prefix_free(Dfa const& dfa) {
    for (std::size_t s = 0; s < dfa.next.size(); ++s) {
        if (!dfa.accepting[s]) {
            continue;
        }
        for (auto const t : dfa.next[s]) {
            if (t >= 0 && dfa.live[static_cast<std::size_t>(t)]) {
                return false;
            }
        }
    }
    return true;
}

bool longest_match_exact(Dfa const& dfa, ByteSet const& follow) {
    for (std::size_t s = 0; s < dfa.next.size(); ++s) {
        if (!dfa.accepting[s]) {
            continue;
        }
        for (unsigned b = 0; b < 256; ++b) {
            auto const t = dfa.next[s][dfa.byte_class[b]];
            if (follow.test(b) && t >= 0 && dfa.live[static_cast<std::size_t>(t)]) {
                return false;
            }
        }
    }
    return true;
}

bool disjoint(Dfa const& a, Dfa const& b) {
    // Breadth-first over the pairs of states both automata reach on the same input.
    std::set<std::pair<std::int32_t, std::int32_t>> seen{{0, 0}};
    std::vector<std::pair<std::int32_t, std::int32_t>> todo{{0, 0}};
    while (!todo.empty()) {
        auto const [x, y] = todo.back();
        todo.pop_back();
        auto const xs = static_cast<std::size_t>(x);
        auto const ys = static_cast<std::size_t>(y);
        if (a.accepting[xs] && b.accepting[ys]) {
            return false;
        }
        for (unsigned byte = 0; byte < 256; ++byte) {
            auto const nx = a.next[xs][a.byte_class[byte]];
            auto const ny = b.next[ys][b.byte_class[byte]];
            if (nx >= 0 && ny >= 0 && a.live[static_cast<std::size_t>(nx)] &&
                b.live[static_cast<std::size_t>(ny)] && seen.insert({nx, ny}).second) {
                todo.emplace_back(nx, ny);
            }
        }
    }
    return true;
}

long longest_match(Dfa const& dfa, std::string_view input) {
    long best = dfa.accepting[0] ? 0 : -1;
    std::int32_t s = 0;
    for (std::size_t i = 0; i < input.size(); ++i) {
        s = dfa.next[static_cast<std::size_t>(s)]
                    [dfa.byte_class[static_cast<unsigned char>(input[i])]];
        if (s < 0 || !dfa.live[static_cast<std::size_t>(s)]) {
            break;
        }
        if (dfa.accepting[static_cast<std::size_t>(s)]) {
            best = static_cast<long>(i + 1);
        }
    }
    return best;
}

} // namespace smtpd::abnfgen

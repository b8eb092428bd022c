// Nullable, FIRST and FOLLOW over a linked ABNF grammar, by fixpoint iteration (see analysis.hpp).
// Depends on: analysis.hpp.
#include "gen/analysis.hpp"

#include <cctype>

namespace smtpd::abnfgen {

using abnf::Key;
using abnf::Node;
using abnf::NodeKind;

ByteSet first_of_literal(Node const& char_val) {
    ByteSet s;
    if (char_val.text.empty()) {
        return s;
    }
    auto const c = static_cast<unsigned char>(char_val.text.front());
    s.set(c);
    if (!char_val.case_sensitive && std::isalpha(c) != 0) {
        s.set(static_cast<unsigned char>(std::tolower(c)));
        s.set(static_cast<unsigned char>(std::toupper(c)));
    }
    return s;
}

Analysis::Analysis(abnf::Grammar const& grammar, std::vector<Key> const& entries)
    : grammar_(grammar) {
    compute_first();
    collect_reachable(entries);
    compute_follow(entries);
}

bool Analysis::nullable(Key const& rule) const {
    auto const it = nullable_.find(rule);
    return it != nullable_.end() && it->second;
}

ByteSet Analysis::first(Key const& rule) const {
    auto const it = first_.find(rule);
    return it == first_.end() ? ByteSet{} : it->second;
}

Follow Analysis::follow(Key const& rule) const {
    auto const it = follow_.find(rule);
    return it == follow_.end() ? Follow{} : it->second;
}

bool Analysis::nullable(Node const& node) const {
    switch (node.kind) {
    case NodeKind::Alternation:
        for (auto const& c : node.children) {
            if (nullable(c)) {
                return true;
            }
        }
        return false;
    case NodeKind::Concatenation:
        for (auto const& c : node.children) {
            if (!nullable(c)) {
                return false;
            }
        }
        return true;
    case NodeKind::Repetition:
        return node.min == 0 || nullable(node.children.front());
    case NodeKind::Option:
        return true;
    case NodeKind::Group:
        return nullable(node.children.front());
    case NodeKind::RuleRef:
        return nullable(node.name);
    case NodeKind::CharVal:
        return node.text.empty();
    case NodeKind::NumRange:
    case NodeKind::NumSeq:
    case NodeKind::ProseVal:
        return false;
    }
    return false;
}

ByteSet Analysis::first(Node const& node) const {
    ByteSet s;
    switch (node.kind) {
    case NodeKind::Alternation:
        for (auto const& c : node.children) {
            s |= first(c);
        }
        break;
    case NodeKind::Concatenation:
        for (auto const& c : node.children) {
            s |= first(c);
            if (!nullable(c)) {
                break;
            }
        }
        break;
    case NodeKind::Repetition:
        if (node.max > 0) {
            s = first(node.children.front());
        }
        break;
    case NodeKind::Option:
    case NodeKind::Group:
        s = first(node.children.front());
        break;
    case NodeKind::RuleRef:
        s = first(node.name);
        break;
    case NodeKind::CharVal:
        s = first_of_literal(node);
        break;
    case NodeKind::NumRange:
        for (auto v = node.values[0]; v <= node.values[1] && v < 256; ++v) {
            s.set(v);
        }
        break;
    case NodeKind::NumSeq:
        if (node.values.front() < 256) {
            s.set(node.values.front());
        }
        break;
    case NodeKind::ProseVal:
        break;
    }
    return s;
}

void Analysis::compute_first() {
    for (auto const& [key, rule] : grammar_.rules) {
        nullable_[key] = false;
        first_[key] = ByteSet{};
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (auto const& [key, rule] : grammar_.rules) {
            bool const n = nullable(rule.definition);
            ByteSet const f = first(rule.definition);
            if (n != nullable_[key] || f != first_[key]) {
                nullable_[key] = n;
                first_[key] = f;
                changed = true;
            }
        }
    }
}

namespace {

void collect_refs(Node const& node, std::set<Key>& out) {
    if (node.kind == NodeKind::RuleRef) {
        out.insert(node.name);
    }
    for (auto const& c : node.children) {
        collect_refs(c, out);
    }
}

} // namespace

void Analysis::collect_reachable(std::vector<Key> const& entries) {
    std::set<Key> seen;
    std::vector<Key> todo(entries.rbegin(), entries.rend());
    while (!todo.empty()) {
        Key key = todo.back();
        todo.pop_back();
        if (!seen.insert(key).second) {
            continue;
        }
        reachable_.push_back(key);
        if (auto const* rule = grammar_.find(key)) {
            std::set<Key> refs;
            collect_refs(rule->definition, refs);
            todo.insert(todo.end(), refs.rbegin(), refs.rend());
        }
    }
}

void Analysis::propagate(Node const& node, Follow const& after, bool& changed) {
    if (node.kind == NodeKind::RuleRef) {
        Follow& f = follow_[node.name];
        Follow const before = f;
        f |= after;
        changed = changed || !(f == before);
        return;
    }
    for_each_child(node, after,
                   [&](Node const& child, Follow const& f) { propagate(child, f, changed); });
}

void Analysis::compute_follow(std::vector<Key> const& entries) {
    for (auto const& e : entries) {
        follow_[e].end = true;
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (auto const& key : reachable_) {
            if (auto const* rule = grammar_.find(key)) {
                propagate(rule->definition, follow(key), changed);
            }
        }
    }
}

std::set<Key> Analysis::closure(Key const& rule) const {
    std::set<Key> out;
    std::vector<Key> todo{rule};
    while (!todo.empty()) {
        Key const key = todo.back();
        todo.pop_back();
        auto const* r = grammar_.find(key);
        if (r == nullptr) {
            continue;
        }
        std::set<Key> refs;
        collect_refs(r->definition, refs);
        for (auto const& ref : refs) {
            if (out.insert(ref).second) {
                todo.push_back(ref);
            }
        }
    }
    return out;
}

bool Analysis::recursive(Key const& rule) const {
    return closure(rule).count(rule) != 0;
}

} // namespace smtpd::abnfgen

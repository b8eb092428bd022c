// Grammar facts the generator needs to decide where a PEG reading of an ABNF rule is exact:
// which elements can match the empty string (nullable), which bytes can start a match (FIRST),
// and which bytes can follow a rule in the grammar used from the entry rules (FOLLOW, with the
// end of input). Computed by fixpoint over the linked grammar. Depends on: grammar/reader/.
#pragma once

#include "reader/abnf.hpp"

#include <bitset>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace smtpd::abnfgen {

using ByteSet = std::bitset<256>;

/// What can come right after an element: bytes, and whether the input may end there.
struct Follow {
    ByteSet bytes;
    bool end = false;
    Follow& operator|=(Follow const& other) {
        bytes |= other.bytes;
        end = end || other.end;
        return *this;
    }
    friend bool operator==(Follow const&, Follow const&) = default;
};

class Analysis {
  public:
    /// `entries` are matched against whole inputs: the end of input follows them.
    Analysis(abnf::Grammar const& grammar, std::vector<abnf::Key> const& entries);

    [[nodiscard]] bool nullable(abnf::Node const& node) const;
    [[nodiscard]] ByteSet first(abnf::Node const& node) const;
    [[nodiscard]] bool nullable(abnf::Key const& rule) const;
    [[nodiscard]] ByteSet first(abnf::Key const& rule) const;
    /// The union of what follows every use of `rule` reachable from the entries.
    [[nodiscard]] Follow follow(abnf::Key const& rule) const;

    /// The rules reachable from the entries (entries included), in a stable order.
    [[nodiscard]] std::vector<abnf::Key> const& reachable() const { return reachable_; }
    /// The rules `rule` uses, directly or not (itself included only if recursive).
    [[nodiscard]] std::set<abnf::Key> closure(abnf::Key const& rule) const;
    /// True if some rule reachable from `rule` refers back to it.
    [[nodiscard]] bool recursive(abnf::Key const& rule) const;

    [[nodiscard]] abnf::Grammar const& grammar() const { return grammar_; }

    /// Calls `visit(child, follow_of_child)` for each direct child of `node`, given what follows
    /// `node` itself. The single place where follow sets are propagated through an element.
    template <class Visit>
    void for_each_child(abnf::Node const& node, Follow const& after, Visit&& visit) const;

  private:
    void compute_first();
    void compute_follow(std::vector<abnf::Key> const& entries);
    void collect_reachable(std::vector<abnf::Key> const& entries);
    void propagate(abnf::Node const& node, Follow const& after, bool& changed);

    abnf::Grammar const& grammar_;
    std::map<abnf::Key, bool> nullable_;
    std::map<abnf::Key, ByteSet> first_;
    std::map<abnf::Key, Follow> follow_;
    std::vector<abnf::Key> reachable_;
};

/// The bytes a case-insensitive or case-sensitive literal can start with.
[[nodiscard]] ByteSet first_of_literal(abnf::Node const& char_val);

template <class Visit>
void Analysis::for_each_child(abnf::Node const& node, Follow const& after, Visit&& visit) const {
    using abnf::NodeKind;
    switch (node.kind) {
    case NodeKind::Alternation:
    case NodeKind::Option:
    case NodeKind::Group:
        for (auto const& child : node.children) {
            visit(child, after);
        }
        break;
    case NodeKind::Concatenation:
        for (std::size_t i = 0; i < node.children.size(); ++i) {
            Follow f;
            bool rest_nullable = true;
            for (std::size_t j = i + 1; j < node.children.size() && rest_nullable; ++j) {
                f.bytes |= first(node.children[j]);
                rest_nullable = nullable(node.children[j]);
            }
            if (rest_nullable) {
                f |= after;
            }
            visit(node.children[i], f);
        }
        break;
    case NodeKind::Repetition: {
        Follow f = after;
        if (node.max > 1) {
            f.bytes |= first(node.children.front());
        }
        visit(node.children.front(), f);
        break;
    }
    default:
        break;
    }
}

} // namespace smtpd::abnfgen

// The transition-table scaffolding both sessions share (server: session.hpp, client: client.hpp):
// rows {from, on, guard, to, output, effect, id, flags}, guards as conjunctions of named
// predicates, named effects that declare the facts they change, and the first-match lookup the
// step engines apply. Each side instantiates Side with its state, event kind, predicate,
// session, event, actions and output types, and says how a predicate is tested. Also the table
// mutations the mutation tests and the model export apply to a run-time copy of a table.
// Depends on: the standard library only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::sm::table {

/// A side's types, as the scaffolding below uses them. Each side declares its specialization of
/// `test` (how a predicate is evaluated) and defines it beside its table.
template <class StateT, class KindT, class PredT, class SessionT, class EventT, class ActionsT,
          class OutputT>
struct Side {
    using State = StateT;
    using Kind = KindT;
    using Pred = PredT;
    using Session = SessionT;
    using Event = EventT;
    using Actions = ActionsT;
    using Output = OutputT; ///< what a row produces: the server's reply, the client's command
    [[nodiscard]] static bool test(Pred pred, Session const& s, Event const& e);
};

/// A set of enumerators (the states a row applies in, the event kinds it applies to).
template <class E> struct EnumSet {
    std::uint64_t bits = 0;
    constexpr EnumSet() = default;
    constexpr EnumSet(std::initializer_list<E> values) {
        for (E v : values) {
            bits |= std::uint64_t{1} << static_cast<unsigned>(v);
        }
    }
    [[nodiscard]] constexpr bool contains(E v) const {
        return ((bits >> static_cast<unsigned>(v)) & 1U) != 0;
    }
};

/// The members of `set` among the first `count` enumerators, each written by `name`.
template <class E, class Name>
std::string join(EnumSet<E> set, std::size_t count, Name name, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) {
        if (set.contains(static_cast<E>(i))) {
            out +=
                (out.empty() ? "" : std::string(separator)) + std::string(name(static_cast<E>(i)));
        }
    }
    return out;
}

/// One literal of a guard: the predicate must have this value.
template <class Pred> struct Literal {
    Pred pred{};
    bool value = true;
};

inline constexpr std::size_t kMaxLiterals = 3;

/// A conjunction of up to three literals; empty means always.
template <class Side> struct Guard {
    using Pred = typename Side::Pred;
    std::array<Literal<Pred>, kMaxLiterals> literals{};
    std::uint8_t count = 0;

    constexpr Guard() = default;
    constexpr Guard(std::initializer_list<Literal<Pred>> list) {
        for (Literal<Pred> l : list) {
            literals.at(count++) = l;
        }
    }
    [[nodiscard]] std::span<Literal<Pred> const> terms() const { return {literals.data(), count}; }
    [[nodiscard]] bool holds(typename Side::Session const& s, typename Side::Event const& e) const {
        for (Literal<Pred> const& l : terms()) {
            if (Side::test(l.pred, s, e) != l.value) {
                return false;
            }
        }
        return true;
    }
    /// "a && !b", each predicate written by `name`.
    template <class Name> [[nodiscard]] std::string text(Name name) const {
        std::string out;
        for (Literal<Pred> const& l : terms()) {
            out += (out.empty() ? "" : " && ") + std::string(l.value ? "" : "!") +
                   std::string(name(l.pred));
        }
        return out;
    }
};

/// What an effect does to the facts the model checker tracks (bits of the side's fact enum).
struct FactChange {
    std::uint16_t set = 0;
    std::uint16_t clear = 0;
    bool enqueues = false; ///< asks the queue to commit a message (server)
};

template <class Side> struct Effect {
    using Fn = void (*)(typename Side::Session&, typename Side::Event const&,
                        typename Side::Actions&);
    std::string_view name;
    Fn fn;
    FactChange model;
};

/// One transition: in any state of `from`, on any event kind of `on`, if `guard` holds, go to
/// `to`, produce `output` (the server's reply, the client's command) and run `effect`. `flags`
/// are the side's row flags (the server's CountsError). The first matching row wins.
template <class Side> struct Row {
    EnumSet<typename Side::State> from;
    EnumSet<typename Side::Kind> on;
    Guard<Side> guard;
    typename Side::State to;
    typename Side::Output output;
    Effect<Side> effect;
    std::string_view id;
    std::uint8_t flags = 0;
};

/// The first row of `rows` that matches the session's state, the event's kind and its guard.
template <class Side>
Row<Side> const* first_match(std::span<Row<Side> const> rows, typename Side::Session const& s,
                             typename Side::Event const& e, typename Side::Kind kind) {
    for (Row<Side> const& row : rows) {
        if (row.on.contains(kind) && row.from.contains(s.state) && row.guard.holds(s, e)) {
            return &row;
        }
    }
    return nullptr;
}

// --- mutations (tests/statemachine/table_mutation_*, the model export's --mutant) ---

enum class MutationKind : unsigned char { RemoveRow, DropGuard, DropLiteral };

/// One change to a table: remove row `row`, drop its guard, or drop literal `literal` of it.
struct Mutation {
    MutationKind kind = MutationKind::RemoveRow;
    std::size_t row = 0;
    std::size_t literal = 0;
};

/// Every mutation of `rows`: each row removed; each guarded row without its guard; each literal
/// of a guard of two or more literals dropped.
template <class Side> std::vector<Mutation> mutations(std::span<Row<Side> const> rows) {
    std::vector<Mutation> out;
    for (std::size_t r = 0; r < rows.size(); ++r) {
        out.push_back({MutationKind::RemoveRow, r, 0});
        if (rows[r].guard.count > 0) {
            out.push_back({MutationKind::DropGuard, r, 0});
        }
        for (std::size_t l = 0; rows[r].guard.count > 1 && l < rows[r].guard.count; ++l) {
            out.push_back({MutationKind::DropLiteral, r, l});
        }
    }
    return out;
}

/// A run-time copy of `rows` with the mutation applied.
template <class Side> std::vector<Row<Side>> mutant(std::span<Row<Side> const> rows, Mutation m) {
    std::vector<Row<Side>> out(rows.begin(), rows.end());
    if (m.row >= out.size()) {
        return out;
    }
    Guard<Side>& guard = out[m.row].guard;
    switch (m.kind) {
    case MutationKind::RemoveRow:
        out.erase(out.begin() + static_cast<std::ptrdiff_t>(m.row));
        break;
    case MutationKind::DropGuard:
        guard = {};
        break;
    case MutationKind::DropLiteral:
        for (std::size_t l = m.literal; l + 1 < guard.count; ++l) {
            guard.literals.at(l) = guard.literals.at(l + 1);
        }
        guard.count = static_cast<std::uint8_t>(guard.count - (m.literal < guard.count ? 1 : 0));
        break;
    }
    return out;
}

/// "remove:ID", "guard:ID" or "literal:ID:N", the form export_table's --mutant reads.
template <class Side> std::string describe(std::span<Row<Side> const> rows, Mutation m) {
    std::string const id(m.row < rows.size() ? rows[m.row].id : "?");
    switch (m.kind) {
    case MutationKind::RemoveRow:
        return "remove:" + id;
    case MutationKind::DropGuard:
        return "guard:" + id;
    case MutationKind::DropLiteral:
        break;
    }
    return "literal:" + id + ":" + std::to_string(m.literal);
}

/// The mutation `describe` wrote, or RemoveRow of rows.size() (no change) if none matches.
template <class Side> Mutation parse_mutation(std::span<Row<Side> const> rows, std::string_view s) {
    for (Mutation const m : mutations(rows)) {
        if (describe(rows, m) == s) {
            return m;
        }
    }
    return Mutation{MutationKind::RemoveRow, rows.size(), 0};
}

} // namespace smtpd::sm::table

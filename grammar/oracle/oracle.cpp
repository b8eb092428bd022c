// The oracle's matcher: eval(element, start) appends every offset where a match of the element
// starting at `start` can end (a set: alternation unordered, repetition backtracking), memoised
// per (rule, offset) for one matches() call; a rule re-entered at an offset it is still being
// evaluated at yields nothing (left recursion cannot hang). Coverage walks ONE derivation of an
// accepted input top-down, re-using the memo: at an Alternation the first alternative that can
// span [start, end), in a sequence the split points found backwards from the end.
// Invariants: no recursion deeper than Oracle::kMaxDepth elements, a bounded derivation walk.
// Depends on: oracle/oracle.hpp, reader/abnf.hpp and the standard library only.
#include "oracle/oracle.hpp"
#include "oracle/memo.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <ranges>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace smtpd::oracle {
namespace {

using abnf::NodeKind;
using detail::Ends;
using detail::MemoTable;
using detail::Scratch;

constexpr std::uint32_t kNoRule = ~0U;
constexpr std::uint32_t kInProgress = ~0U;
constexpr std::size_t kMaxDeriveSteps = std::size_t{1} << 20U;

/// A Node with its RuleRef resolved to a rule index and its CharVal text case-folded.
struct Op {
    NodeKind kind = NodeKind::Concatenation;
    std::vector<Op> children;
    unsigned min = 1;
    unsigned max = 1;
    std::uint32_t rule = kNoRule; ///< RuleRef: the target; Alternation: the rule it is in
    unsigned alternation = 0;     ///< Alternation: its pre-order index in the rule
    std::string text;             ///< CharVal, lower-cased unless case_sensitive
    bool case_sensitive = false;
    std::vector<std::uint32_t> values;
};

// RFC 5234 §2.3: quoted strings are case-insensitive, for US-ASCII letters only.
char fold(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

void sort_unique(Ends& ends) {
    std::sort(ends.begin(), ends.end());
    ends.erase(std::unique(ends.begin(), ends.end()), ends.end());
}

bool contains(Ends const& sorted, std::uint32_t value) {
    return std::binary_search(sorted.begin(), sorted.end(), value);
}

} // namespace

struct Oracle::Engine {
    struct Span {
        std::uint32_t begin = 0;
        std::uint32_t size = kInProgress;
    };

    std::vector<abnf::Key> keys;
    std::unordered_map<abnf::Key, std::uint32_t> ids;
    std::vector<Op> bodies;

    // State of one matches() call.
    std::string_view input;
    MemoTable memo; ///< (rule << 32 | offset) -> index in spans
    std::vector<Span> spans;
    Ends arena; ///< the ends of every finished span
    std::vector<Ends> pool;
    unsigned depth = 0;
    bool too_deep = false;
    std::size_t steps = 0;
    std::set<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>> deriving;
    std::vector<std::array<std::uint32_t, 3>> hits; ///< rule, alternation, alternative

    explicit Engine(abnf::Grammar const& grammar) {
        for (auto const& [key, rule] : grammar.rules) {
            ids.emplace(key, static_cast<std::uint32_t>(keys.size()));
            keys.push_back(key);
        }
        for (auto const& [key, rule] : grammar.rules) {
            unsigned next_alternation = 0;
            bodies.push_back(compile(rule.definition, ids.at(key), next_alternation));
        }
    }

    Op compile(abnf::Node const& node, std::uint32_t rule, unsigned& next_alternation) {
        Op op;
        op.kind = node.kind;
        op.min = node.min;
        op.max = node.max;
        op.case_sensitive = node.case_sensitive;
        op.values = node.values;
        op.text = node.text;
        if (!node.case_sensitive) {
            std::transform(op.text.begin(), op.text.end(), op.text.begin(), fold);
        }
        if (node.kind == NodeKind::RuleRef) {
            auto const target = ids.find(node.name);
            op.rule = target == ids.end() ? kNoRule : target->second;
        } else if (node.kind == NodeKind::Alternation) {
            op.rule = rule;
            op.alternation = next_alternation++;
        }
        for (abnf::Node const& child : node.children) {
            op.children.push_back(compile(child, rule, next_alternation));
        }
        return op;
    }

    void reset(std::string_view text) {
        input = text;
        memo.clear();
        spans.clear();
        arena.clear();
        depth = 0;
        too_deep = false;
        steps = 0;
        deriving.clear();
        hits.clear();
    }

    // The ends of rule `id` from `at`, memoised; appended to `out` sorted and unique.
    [[gnu::noinline]] void eval_rule(std::uint32_t id, std::uint32_t at, Ends& out) {
        if (too_deep) {
            return; // the answer is "no" already; finish quickly
        }
        bool fresh = false;
        std::uint32_t const index = memo.find_or_insert(
            (std::uint64_t{id} << 32U) | at, static_cast<std::uint32_t>(spans.size()), fresh);
        if (!fresh) {
            Span const span = spans[index];
            if (span.size != kInProgress) {
                out.insert(out.end(), arena.begin() + span.begin,
                           arena.begin() + span.begin + span.size);
            }
            return;
        }
        spans.emplace_back(); // in progress until the body is evaluated
        Scratch ends(pool);
        eval(bodies[id], at, *ends);
        sort_unique(*ends);
        spans[index] = Span{static_cast<std::uint32_t>(arena.size()),
                            static_cast<std::uint32_t>(ends->size())};
        arena.insert(arena.end(), ends->begin(), ends->end());
        out.insert(out.end(), ends->begin(), ends->end());
    }

    // One more repetition of `element` from each offset of `from`, into `to` (sorted, unique).
    void step(Op const& element, Ends const& from, Ends& to) {
        to.clear();
        for (std::uint32_t const p : from) {
            eval(element, p, to);
        }
        sort_unique(to);
    }

    // The recursive path (eval -> eval_node -> eval_concatenation / eval_rule -> eval) keeps
    // small frames: the helpers with locals are not inlined into eval_node.
    [[gnu::noinline]] void eval_concatenation(Op const& op, std::uint32_t at, Ends& out) {
        Scratch current(pool);
        Scratch next(pool);
        current->push_back(at);
        for (Op const& element : op.children) {
            step(element, *current, *next);
            std::swap(*current, *next);
            if (current->empty()) {
                return;
            }
        }
        out.insert(out.end(), current->begin(), current->end());
    }

    // min..max repetitions. Up to min, the exact frontier; it reaches a fixed point after at
    // most about 2 * input length steps, so a huge min costs no more. Beyond min, only offsets
    // not reached before need expanding (their successors come no later than a re-visit's).
    [[gnu::noinline]] void eval_repetition(Op const& op, std::uint32_t at, Ends& out) {
        if (op.children.empty()) {
            return;
        }
        Op const& element = op.children.front();
        Scratch frontier(pool);
        Scratch next(pool);
        frontier->push_back(at);
        for (std::uint64_t k = 0; k < op.min; ++k) {
            step(element, *frontier, *next);
            if (next->empty()) {
                return;
            }
            if (*next == *frontier) {
                break;
            }
            std::swap(*frontier, *next);
        }
        Scratch seen(pool); // a bit per offset from `at` on: 32 offsets a word
        auto const mark = [&](std::uint32_t p) {
            std::uint32_t const bit = p - at;
            if (bit / 32 >= seen->size()) {
                seen->resize(bit / 32 + 1, 0);
            }
            bool const fresh = ((*seen)[bit / 32] & (1U << (bit % 32))) == 0;
            (*seen)[bit / 32] |= 1U << (bit % 32);
            return fresh;
        };
        for (std::uint32_t const p : *frontier) {
            mark(p);
        }
        out.insert(out.end(), frontier->begin(), frontier->end());
        for (std::uint64_t k = op.min; k < op.max && !frontier->empty(); ++k) {
            step(element, *frontier, *next);
            frontier->clear();
            for (std::uint32_t const p : *next) {
                if (mark(p)) {
                    frontier->push_back(p);
                }
            }
            out.insert(out.end(), frontier->begin(), frontier->end());
        }
    }

    bool match_char_val(Op const& op, std::uint32_t at) const {
        if (input.size() - at < op.text.size()) {
            return false;
        }
        if (op.case_sensitive) {
            return input.compare(at, op.text.size(), op.text) == 0;
        }
        for (std::size_t i = 0; i < op.text.size(); ++i) {
            if (fold(input[at + i]) != op.text[i]) {
                return false;
            }
        }
        return true;
    }

    bool match_num_seq(Op const& op, std::uint32_t at) const {
        if (input.size() - at < op.values.size()) {
            return false;
        }
        for (std::size_t i = 0; i < op.values.size(); ++i) {
            if (static_cast<unsigned char>(input[at + i]) != op.values[i]) {
                return false;
            }
        }
        return true;
    }

    void eval(Op const& op, std::uint32_t at, Ends& out) {
        if (depth >= kMaxDepth) {
            too_deep = true;
            return;
        }
        ++depth;
        eval_node(op, at, out);
        --depth;
    }

    void eval_node(Op const& op, std::uint32_t at, Ends& out) {
        switch (op.kind) {
        case NodeKind::Alternation:
            for (Op const& alternative : op.children) {
                eval(alternative, at, out);
            }
            break;
        case NodeKind::Concatenation:
            eval_concatenation(op, at, out);
            break;
        case NodeKind::Repetition:
            eval_repetition(op, at, out);
            break;
        case NodeKind::Option:
            out.push_back(at);
            [[fallthrough]];
        case NodeKind::Group:
            if (!op.children.empty()) {
                eval(op.children.front(), at, out);
            }
            break;
        case NodeKind::RuleRef:
            if (op.rule != kNoRule) {
                eval_rule(op.rule, at, out);
            }
            break;
        case NodeKind::CharVal:
            if (match_char_val(op, at)) {
                out.push_back(at + static_cast<std::uint32_t>(op.text.size()));
            }
            break;
        case NodeKind::NumSeq:
            if (match_num_seq(op, at)) {
                out.push_back(at + static_cast<std::uint32_t>(op.values.size()));
            }
            break;
        case NodeKind::NumRange:
            if (at < input.size() && op.values.size() == 2 &&
                op.values[0] <= static_cast<unsigned char>(input[at]) &&
                static_cast<unsigned char>(input[at]) <= op.values[1]) {
                out.push_back(at + 1);
            }
            break;
        case NodeKind::ProseVal:
            break;
        }
    }

    /// Whether `op` can match exactly [at, end).
    bool reaches(Op const& op, std::uint32_t at, std::uint32_t end) {
        Scratch ends(pool);
        eval(op, at, *ends);
        return std::find(ends->begin(), ends->end(), end) != ends->end();
    }

    /// One step of the coverage walk: derive `op` over [at, end), or (leave) end a rule's.
    struct Task {
        Op const* op;
        std::uint32_t at;
        std::uint32_t end;
        bool leave;
    };

    // Coverage: walks one derivation of `root` over [at, end), recording Alternation choices.
    // An explicit stack, not recursion: a derivation is as deep as the input is long. A rule
    // already being derived over the same span (left recursion) is not re-entered.
    void derive(Op const& root, std::uint32_t at, std::uint32_t end) {
        std::vector<Task> todo{{&root, at, end, false}};
        while (!todo.empty() && ++steps <= kMaxDeriveSteps) {
            Task const task = todo.back();
            todo.pop_back();
            Op const& op = *task.op;
            if (task.leave) {
                deriving.erase({op.rule, task.at, task.end});
            } else if (op.kind == NodeKind::RuleRef) {
                // Every task spans a match, so a reference here names a rule (kNoRule matches
                // nothing) and a Group or non-empty Option has its child.
                if (deriving.emplace(op.rule, task.at, task.end).second) {
                    todo.push_back({&op, task.at, task.end, true});
                    todo.push_back({&bodies[op.rule], task.at, task.end, false});
                }
            } else if (op.kind == NodeKind::Group ||
                       (op.kind == NodeKind::Option && task.at != task.end)) {
                todo.push_back({&op.children.front(), task.at, task.end, false});
            } else if (op.kind == NodeKind::Alternation) {
                for (std::size_t i = 0; i < op.children.size(); ++i) {
                    if (reaches(op.children[i], task.at, task.end)) {
                        hits.push_back({op.rule, op.alternation, static_cast<std::uint32_t>(i)});
                        todo.push_back({&op.children[i], task.at, task.end, false});
                        break;
                    }
                }
            } else if (op.kind == NodeKind::Concatenation || op.kind == NodeKind::Repetition) {
                std::vector<std::uint32_t> const splits = op.kind == NodeKind::Concatenation
                                                              ? split_concatenation(op, task)
                                                              : split_repetition(op, task);
                for (std::size_t i = splits.size(); i > 1; --i) {
                    Op const& element = op.kind == NodeKind::Concatenation ? op.children[i - 2]
                                                                           : op.children.front();
                    todo.push_back({&element, splits[i - 2], splits[i - 1], false});
                }
            }
        }
    }

    // Where a sequence of `count` elements splits [layer(0), end): offsets s0 <= ... <= s_count
    // with s_count = end, each s_i in layer(i) (the possible starts of element i) and element i
    // matching [s_i, s_i+1); found backwards from the end. Empty if none (or out of budget).
    template <typename Element, typename Layer>
    std::vector<std::uint32_t> split(std::size_t count, Element element, Layer layer,
                                     std::uint32_t end) {
        std::vector<std::uint32_t> splits(1, end);
        for (std::size_t i = count; i > 0; --i) {
            if (++steps > kMaxDeriveSteps) {
                return {};
            }
            Ends const& starts = layer(i - 1);
            auto const found = std::find_if(starts.begin(), starts.end(), [&](std::uint32_t q) {
                return reaches(element(i - 1), q, splits.back());
            });
            if (found == starts.end()) {
                return {};
            }
            splits.push_back(*found);
        }
        std::reverse(splits.begin(), splits.end());
        return splits;
    }

    std::vector<std::uint32_t> split_concatenation(Op const& op, Task const& task) {
        std::vector<Ends> layers(1, Ends{task.at});
        for (Op const& child : op.children) {
            layers.push_back(ends_of_all(child, layers.back(), task.end));
        }
        return split(
            op.children.size(), [&](std::size_t i) -> Op const& { return op.children[i]; },
            [&](std::size_t i) -> Ends const& { return layers[i]; }, task.end);
    }

    // The fewest repetitions (at least min) that span the task, as exact-count frontiers.
    // `op` matched the task's span, so it has its element (a childless one matches nothing).
    std::vector<std::uint32_t> split_repetition(Op const& op, Task const& task) {
        std::vector<Ends> layers(1, Ends{task.at}); // frontiers; from a fixed point on, the last
        bool fixed = false;
        std::uint64_t target = 0;
        for (std::uint64_t k = 0;; ++k) {
            Ends const& current = layers.back();
            if (fixed || (k >= op.min && contains(current, task.end))) {
                target = std::max<std::uint64_t>(k, op.min);
                if (!contains(current, task.end) || target > op.max) {
                    return {};
                }
                break;
            }
            if (k >= op.max || layers.size() > kMaxDeriveSteps) {
                return {};
            }
            Ends next = ends_of_all(op.children.front(), current, task.end);
            if (next.empty()) {
                return {};
            }
            fixed = next == current;
            if (!fixed) {
                layers.push_back(std::move(next));
            }
        }
        if (target > kMaxDeriveSteps) {
            return {};
        }
        return split(
            static_cast<std::size_t>(target),
            [&](std::size_t) -> Op const& { return op.children.front(); },
            [&](std::size_t i) -> Ends const& { return layers[std::min(i, layers.size() - 1)]; },
            task.end);
    }

    Ends ends_of_all(Op const& op, Ends const& starts, std::uint32_t limit) {
        Ends ends;
        for (std::uint32_t const p : starts) {
            eval(op, p, ends);
        }
        sort_unique(ends);
        ends.erase(std::upper_bound(ends.begin(), ends.end(), limit), ends.end());
        return ends;
    }
};

Oracle::Oracle(abnf::Grammar const& grammar)
    : grammar_(grammar), engine_(std::make_unique<Engine>(grammar)) {}

Oracle::~Oracle() = default;

bool Oracle::matches(abnf::Key const& key, std::string_view input) {
    auto const id = engine_->ids.find(key);
    if (id == engine_->ids.end() || input.size() >= kInProgress) {
        return false;
    }
    Engine& e = *engine_;
    e.reset(input);
    Ends ends;
    e.eval_rule(id->second, 0, ends);
    auto const size = static_cast<std::uint32_t>(input.size());
    if (e.too_deep || !contains(ends, size)) {
        return false;
    }
    Op root;
    root.kind = NodeKind::RuleRef;
    root.rule = id->second;
    e.derive(root, 0, size);
    for (auto const& [rule, alternation, alternative] : e.hits) {
        ++coverage_[AlternativeId{e.keys[rule], alternation, alternative}];
    }
    return true;
}

std::vector<AlternativeId> Oracle::alternatives(abnf::Key const& key) const {
    std::set<AlternativeId> found;
    std::set<abnf::Key> seen;
    std::vector<abnf::Key> todo{key};
    while (!todo.empty()) {
        abnf::Key const current = std::move(todo.back());
        todo.pop_back();
        abnf::LinkedRule const* rule = grammar_.find(current);
        if (rule == nullptr || !seen.insert(current).second) {
            continue;
        }
        unsigned next_alternation = 0;
        // Pre-order, as Engine::compile numbers them.
        std::vector<abnf::Node const*> stack{&rule->definition};
        while (!stack.empty()) {
            abnf::Node const* node = stack.back();
            stack.pop_back();
            if (node->kind == NodeKind::Alternation) {
                unsigned const index = next_alternation++;
                for (unsigned i = 0; i < node->children.size(); ++i) {
                    found.insert(AlternativeId{current, index, i});
                }
            } else if (node->kind == NodeKind::RuleRef) {
                todo.push_back(node->name);
            }
            for (abnf::Node const& child : std::views::reverse(node->children)) {
                stack.push_back(&child);
            }
        }
    }
    return {found.begin(), found.end()};
}

} // namespace smtpd::oracle

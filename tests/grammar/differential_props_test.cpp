// The generated parsers against the oracle, over the grammars of grammar/gen/ascii.spec and
// utf8.spec:
// (1) every string drawn from an entry rule's ABNF is accepted by both; (2) after one random
// mutation, both give the same verdict; and rule coverage: every alternative of every rule the
// entries use was part of an accepted derivation. Cases are drawn in batches so that each
// property runs kCasesPerProperty cases; the counts are printed.
// Depends on: the generated grammars, grammar/oracle/, abnf_gen.hpp, rapidcheck.
#include "abnf_gen.hpp"
#include "ascii/rules.hpp"
#include "oracle/oracle.hpp"
#include "oracle/spec.hpp"
#include "smtpd/grammar/command.hpp"
#include "smtpd/grammar/reply.hpp"
#include "utf8/rules.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cstdio>
#include <map>
#include <set>

namespace smtpd::grammar {
namespace {

namespace ascii = gen::ascii;
namespace utf8 = gen::utf8;

constexpr std::size_t kCasesPerProperty = 100000;
constexpr std::size_t kBatch = kCasesPerProperty / 100; // rapidcheck runs 100 cases by default
// The first entries of ascii.spec are the command lines (ehlo ... quit).
constexpr std::size_t kCommands = 14;

/// True if the alternative is a prose-val (which matches nothing).
bool is_prose(abnf::Grammar const& grammar, oracle::AlternativeId const& alt) {
    auto const* rule = grammar.find(alt.rule);
    if (rule == nullptr) {
        return false;
    }
    // Walk the Alternation nodes in pre-order, as AlternativeId counts them.
    unsigned index = 0;
    abnf::Node const* found = nullptr;
    auto walk = [&](auto const& self, abnf::Node const& n) -> void {
        if (n.kind == abnf::NodeKind::Alternation && index++ == alt.alternation) {
            found = &n;
        }
        for (auto const& c : n.children) {
            self(self, c);
        }
    };
    walk(walk, rule->definition);
    return found != nullptr && alt.alternative < found->children.size() &&
           found->children[alt.alternative].kind == abnf::NodeKind::ProseVal;
}

/// One generated grammar: its spec, and its entry points behind plain functions.
struct Variant {
    char const* name;
    std::size_t entries;
    bool (*parse)(std::uint16_t entry, std::string_view input);
    std::string_view (*rule)(std::uint16_t entry);
};

template <class Entry, auto Parse, auto Rule, std::size_t Count>
constexpr Variant variant(char const* name) {
    return {name, Count,
            [](std::uint16_t e, std::string_view in) {
                std::vector<abnf_x3::Capture> captures;
                return Parse(static_cast<Entry>(e), in, captures, nullptr);
            },
            [](std::uint16_t e) { return Rule(static_cast<Entry>(e)); }};
}

constexpr Variant kAscii =
    variant<ascii::Entry, &ascii::parse, &ascii::entry_rule, ascii::kEntryCount>("ascii");
constexpr Variant kUtf8 =
    variant<utf8::Entry, &utf8::parse, &utf8::entry_rule, utf8::kEntryCount>("utf8");

/// The grammar the generator was given for `v`, linked by the oracle's own spec reader.
abnf::Grammar const& spec_grammar(Variant const& v) {
    static std::map<std::string, abnf::Grammar> grammars;
    auto [it, fresh] = grammars.try_emplace(v.name);
    if (fresh) {
        auto linked =
            oracle::load_spec(SMTPD_SOURCE_DIR "/grammar/gen/" + std::string(v.name) + ".spec",
                              SMTPD_SOURCE_DIR "/grammar/abnf");
        for (auto const& e : linked.errors) {
            ADD_FAILURE() << e.to_string();
        }
        it->second = linked.grammar.value_or(abnf::Grammar{});
    }
    return it->second;
}

rc::Gen<std::uint16_t> entries(Variant const& v) {
    return rc::gen::inRange<std::uint16_t>(0, static_cast<std::uint16_t>(v.entries));
}

void strings_are_accepted_and_cover_every_alternative(Variant const& v) {
    abnf::Grammar const& grammar = spec_grammar(v);
    oracle::Oracle oracle(grammar);
    std::size_t cases = 0;
    bool const ok = rc::check("generated and oracle accept strings drawn from the ABNF", [&] {
        for (std::size_t i = 0; i < kBatch; ++i) {
            auto const entry = *entries(v);
            abnf::Key const key(v.rule(entry));
            auto const input = *abnf::testing::matching(grammar, key);
            ++cases;
            RC_ASSERT(oracle.matches(key, input));
            RC_ASSERT(v.parse(entry, input));
        }
    });
    EXPECT_TRUE(ok);
    std::printf("differential: %s: %zu strings drawn from the ABNF, all accepted by both\n", v.name,
                cases);
    std::set<oracle::AlternativeId> alternatives;
    for (std::uint16_t e = 0; e < v.entries; ++e) {
        auto const all = oracle.alternatives(abnf::Key(v.rule(e)));
        alternatives.insert(all.begin(), all.end());
    }
    std::size_t prose = 0;
    for (auto const& alt : alternatives) {
        if (is_prose(grammar, alt)) {
            ++prose; // a prose alternative has no strings to exercise it with
            continue;
        }
        EXPECT_NE(oracle.coverage().count(alt), 0U)
            << "never exercised: alternative " << alt.alternative << " of alternation "
            << alt.alternation << " of " << alt.rule;
    }
    std::printf("coverage: %s: %zu alternatives in the rules the entries use, %zu exercised, %zu "
                "prose\n",
                v.name, alternatives.size(), oracle.coverage().size(), prose);
}

void mutated_strings_get_the_same_verdict(Variant const& v) {
    abnf::Grammar const& grammar = spec_grammar(v);
    oracle::Oracle oracle(grammar);
    std::size_t cases = 0;
    std::size_t accepted = 0;
    bool const ok = rc::check("generated and oracle agree on mutated strings", [&] {
        for (std::size_t i = 0; i < kBatch; ++i) {
            auto const entry = *entries(v);
            abnf::Key const key(v.rule(entry));
            auto const input = *abnf::testing::mutated(*abnf::testing::matching(grammar, key));
            bool const verdict = oracle.matches(key, input);
            ++cases;
            accepted += verdict ? 1 : 0;
            RC_ASSERT(v.parse(entry, input) == verdict);
        }
    });
    EXPECT_TRUE(ok);
    std::printf("differential: %s: %zu mutated strings, same verdict from both (%zu accepted)\n",
                v.name, cases, accepted);
}

TEST(DifferentialProps, StringsFromTheAbnfAreAcceptedByBothAndCoverEveryAlternative) {
    strings_are_accepted_and_cover_every_alternative(kAscii);
}

TEST(DifferentialProps, MutatedStringsGetTheSameVerdictFromBoth) {
    mutated_strings_get_the_same_verdict(kAscii);
}

TEST(DifferentialProps, Utf8StringsFromTheAbnfAreAcceptedByBothAndCoverEveryAlternative) {
    strings_are_accepted_and_cover_every_alternative(kUtf8);
}

TEST(DifferentialProps, Utf8MutatedStringsGetTheSameVerdictFromBoth) {
    mutated_strings_get_the_same_verdict(kUtf8);
}

struct RoundTrips {
    std::size_t cases = 0;
    std::size_t refused = 0; ///< inputs `parse` refused: nothing to format
};

/// parse(format(parse(x))) == parse(x) for kCasesPerProperty inputs drawn by `draw`.
template <class Draw, class Parse, class Format>
RoundTrips round_trips(char const* what, Draw draw, Parse parse, Format format) {
    RoundTrips r;
    bool const ok = rc::check(what, [&] {
        for (std::size_t i = 0; i < kBatch; ++i) {
            auto const input = draw();
            ++r.cases;
            auto const parsed = parse(input);
            if (!parsed) {
                ++r.refused;
                continue;
            }
            auto const again = parse(format(parsed.value()));
            RC_ASSERT(again.ok());
            RC_ASSERT(again.value() == parsed.value());
        }
    });
    EXPECT_TRUE(ok);
    return r;
}

TEST(DifferentialProps, ParsePrintParseIsTheIdentityOnCommands) {
    abnf::Grammar const& grammar = spec_grammar(kAscii);
    ASSERT_EQ(ascii::entry_rule(static_cast<ascii::Entry>(kCommands - 1)), "rfc3030:bdat-cmd");
    auto const draw = [&] {
        auto const entry = static_cast<ascii::Entry>(
            *rc::gen::inRange<std::uint16_t>(0, static_cast<std::uint16_t>(kCommands)));
        auto line = *abnf::testing::matching(grammar, abnf::Key(ascii::entry_rule(entry)));
        line.resize(line.size() - 2); // the rule's CRLF: parse_command takes the line without it
        return line;
    };
    // Refused: a limit, or a prose rule of RFC 5321 §4.1.3.
    RoundTrips const r = round_trips(
        "parse(format(parse(line))) == parse(line)", draw,
        [](std::string_view l) { return parse_command(l); }, format_command);
    std::printf("differential: %zu command lines parsed, formatted and parsed again (%zu refused "
                "by limits and prose rules)\n",
                r.cases, r.refused);
    EXPECT_LT(r.refused, r.cases / 4);
}

TEST(DifferentialProps, ParseFormatParseIsTheIdentityOnReplies) {
    abnf::Grammar const& grammar = spec_grammar(kAscii);
    auto const draw = [&] { return *abnf::testing::matching(grammar, "rfc5321:reply-line"); };
    // Refused: lines with different codes (RFC 5321 §4.2.1), or the limits.
    RoundTrips const r =
        round_trips("parse_reply(format_reply(parse_reply(text))) == parse_reply(text)", draw,
                    parse_reply, format_reply);
    std::printf("differential: %zu replies parsed, formatted and parsed again (%zu refused: mixed "
                "codes)\n",
                r.cases, r.refused);
}

} // namespace
} // namespace smtpd::grammar

// The generated parsers against the oracle, over the grammar of grammar/gen/ascii.spec:
// (1) every string drawn from an entry rule's ABNF is accepted by both; (2) after one random
// mutation, both give the same verdict; and rule coverage: every alternative of every rule the
// entries use was part of an accepted derivation. Cases are drawn in batches so that each
// property runs kCasesPerProperty cases; the counts are printed.
// Depends on: the generated ascii grammar, grammar/oracle/, abnf_gen.hpp, rapidcheck.
#include "abnf_gen.hpp"
#include "ascii/rules.hpp"
#include "oracle/oracle.hpp"
#include "oracle/spec.hpp"
#include "smtpd/grammar/command.hpp"
#include "smtpd/grammar/reply.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cstdio>
#include <set>

namespace smtpd::grammar {
namespace {

namespace ascii = gen::ascii;

constexpr std::size_t kCasesPerProperty = 100000;
constexpr std::size_t kBatch = kCasesPerProperty / 100; // rapidcheck runs 100 cases by default
// The first entries of ascii.spec are the command lines (ehlo ... quit).
constexpr std::size_t kCommands = 11;

/// The grammar the generator was given.
abnf::Grammar const& spec_grammar() {
    static abnf::Grammar const grammar = [] {
        auto linked = oracle::load_spec(SMTPD_SOURCE_DIR "/grammar/gen/ascii.spec",
                                        SMTPD_SOURCE_DIR "/grammar/abnf");
        for (auto const& e : linked.errors) {
            ADD_FAILURE() << e.to_string();
        }
        return linked.grammar.value_or(abnf::Grammar{});
    }();
    return grammar;
}

rc::Gen<ascii::Entry> entries() {
    return rc::gen::cast<ascii::Entry>(
        rc::gen::inRange<std::uint16_t>(0, static_cast<std::uint16_t>(ascii::kEntryCount)));
}

bool generated_accepts(ascii::Entry entry, std::string const& input) {
    std::vector<abnf_x3::Capture> captures;
    return ascii::parse(entry, input, captures);
}

TEST(DifferentialProps, StringsFromTheAbnfAreAcceptedByBothAndCoverEveryAlternative) {
    abnf::Grammar const& grammar = spec_grammar();
    oracle::Oracle oracle(grammar);
    std::size_t cases = 0;
    bool const ok = rc::check("generated and oracle accept strings drawn from the ABNF", [&] {
        for (std::size_t i = 0; i < kBatch; ++i) {
            auto const entry = *entries();
            abnf::Key const key(ascii::entry_rule(entry));
            auto const input = *abnf::testing::matching(grammar, key);
            ++cases;
            RC_ASSERT(oracle.matches(key, input));
            RC_ASSERT(generated_accepts(entry, input));
        }
    });
    EXPECT_TRUE(ok);
    std::printf("differential: %zu strings drawn from the ABNF, all accepted by both\n", cases);
    std::set<oracle::AlternativeId> alternatives;
    for (std::size_t e = 0; e < ascii::kEntryCount; ++e) {
        auto const all =
            oracle.alternatives(abnf::Key(ascii::entry_rule(static_cast<ascii::Entry>(e))));
        alternatives.insert(all.begin(), all.end());
    }
    for (auto const& alt : alternatives) {
        EXPECT_NE(oracle.coverage().count(alt), 0U)
            << "never exercised: alternative " << alt.alternative << " of alternation "
            << alt.alternation << " of " << alt.rule;
    }
    std::printf("coverage: %zu alternatives in the rules the entries use, %zu exercised\n",
                alternatives.size(), oracle.coverage().size());
}

TEST(DifferentialProps, MutatedStringsGetTheSameVerdictFromBoth) {
    abnf::Grammar const& grammar = spec_grammar();
    oracle::Oracle oracle(grammar);
    std::size_t cases = 0;
    std::size_t accepted = 0;
    bool const ok = rc::check("generated and oracle agree on mutated strings", [&] {
        for (std::size_t i = 0; i < kBatch; ++i) {
            auto const entry = *entries();
            abnf::Key const key(ascii::entry_rule(entry));
            auto const input = *abnf::testing::mutated(*abnf::testing::matching(grammar, key));
            bool const verdict = oracle.matches(key, input);
            ++cases;
            accepted += verdict ? 1 : 0;
            RC_ASSERT(generated_accepts(entry, input) == verdict);
        }
    });
    EXPECT_TRUE(ok);
    std::printf("differential: %zu mutated strings, same verdict from both (%zu accepted)\n", cases,
                accepted);
}

TEST(DifferentialProps, ParsePrintParseIsTheIdentityOnCommands) {
    abnf::Grammar const& grammar = spec_grammar();
    ASSERT_EQ(ascii::entry_rule(static_cast<ascii::Entry>(kCommands - 1)), "rfc5321:quit");
    std::size_t cases = 0;
    std::size_t refused = 0;
    bool const ok = rc::check("parse(format(parse(line))) == parse(line)", [&] {
        for (std::size_t i = 0; i < kBatch; ++i) {
            auto const entry = static_cast<ascii::Entry>(
                *rc::gen::inRange<std::uint16_t>(0, static_cast<std::uint16_t>(kCommands)));
            auto line = *abnf::testing::matching(grammar, abnf::Key(ascii::entry_rule(entry)));
            line.resize(line.size() -
                        2); // the rule's CRLF: parse_command takes the line without it
            ++cases;
            auto const parsed = parse_command(line);
            if (!parsed) { // a limit, a prose rule of RFC 5321 §4.1.3, or EXPN (not implemented)
                ++refused;
                continue;
            }
            auto const again = parse_command(format_command(parsed.value()));
            RC_ASSERT(again.ok());
            RC_ASSERT(again.value() == parsed.value());
        }
    });
    EXPECT_TRUE(ok);
    std::printf("differential: %zu command lines parsed, formatted and parsed again (%zu refused "
                "by limits and prose rules)\n",
                cases, refused);
    EXPECT_LT(refused, cases / 4);
}

TEST(DifferentialProps, ParseFormatParseIsTheIdentityOnReplies) {
    abnf::Grammar const& grammar = spec_grammar();
    std::size_t cases = 0;
    std::size_t refused = 0;
    bool const ok =
        rc::check("parse_reply(format_reply(parse_reply(text))) == parse_reply(text)", [&] {
            for (std::size_t i = 0; i < kBatch; ++i) {
                auto const text = *abnf::testing::matching(grammar, "rfc5321:reply-line");
                ++cases;
                auto const parsed = parse_reply(text);
                if (!parsed) { // lines with different codes (RFC 5321 §4.2.1), or the limits
                    ++refused;
                    continue;
                }
                auto const again = parse_reply(format_reply(parsed.value()));
                RC_ASSERT(again.ok());
                RC_ASSERT(again.value() == parsed.value());
            }
        });
    EXPECT_TRUE(ok);
    std::printf("differential: %zu replies parsed, formatted and parsed again (%zu refused: mixed "
                "codes)\n",
                cases, refused);
}

} // namespace
} // namespace smtpd::grammar

// libFuzzer target: the generated grammars (grammar/gen/ascii.spec, utf8.spec) against the
// oracle. The first byte picks the grammar (its high bit: utf8) and an entry rule; the rest is
// the input. Property (one): both give the same verdict; abort() otherwise. A longer campaign:
//   build/asan/fuzz/differential_fuzzer -max_total_time=3600 -jobs=2 /tmp/work
//   fuzz/corpus/differential
// Depends on: the generated grammars, grammar/oracle/.
#include "ascii/rules.hpp"
#include "oracle/oracle.hpp"
#include "oracle/spec.hpp"
#include "utf8/rules.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace gen = smtpd::grammar::gen;
using smtpd::grammar::abnf_x3::Capture;

smtpd::oracle::Oracle& oracle_for(char const* variant) {
    auto load = [](char const* v) {
        auto linked =
            smtpd::oracle::load_spec(SMTPD_SOURCE_DIR "/grammar/gen/" + std::string(v) + ".spec",
                                     SMTPD_SOURCE_DIR "/grammar/abnf");
        if (!linked.grammar) {
            std::fprintf(stderr, "differential_fuzzer: cannot load the %s grammar\n", v);
            std::abort();
        }
        return *linked.grammar;
    };
    static smtpd::abnf::Grammar const ascii = load("ascii");
    static smtpd::abnf::Grammar const utf8 = load("utf8");
    static smtpd::oracle::Oracle ascii_oracle(ascii);
    static smtpd::oracle::Oracle utf8_oracle(utf8);
    return std::string_view(variant) == "ascii" ? ascii_oracle : utf8_oracle;
}

template <class Entry, class Parse, class Rule>
void check(char const* variant, Entry entry, std::string_view input, Parse parse, Rule rule) {
    std::vector<Capture> captures;
    bool const generated = parse(entry, input, captures, nullptr);
    bool const expected = oracle_for(variant).matches(smtpd::abnf::Key(rule(entry)), input);
    if (generated != expected) {
        std::fprintf(stderr, "differential: %s %s: generated %d, oracle %d\n", variant,
                     std::string(rule(entry)).c_str(), generated, expected);
        std::abort();
    }
}

} // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0 || size > 2048) {
        return 0;
    }
    std::string_view const input(reinterpret_cast<char const*>(data + 1), size - 1);
    unsigned const pick = data[0] & 0x7fU;
    if ((data[0] & 0x80U) == 0) {
        check("ascii", static_cast<gen::ascii::Entry>(pick % gen::ascii::kEntryCount), input,
              gen::ascii::parse, gen::ascii::entry_rule);
    } else {
        check("utf8", static_cast<gen::utf8::Entry>(pick % gen::utf8::kEntryCount), input,
              gen::utf8::parse, gen::utf8::entry_rule);
    }
    return 0;
}

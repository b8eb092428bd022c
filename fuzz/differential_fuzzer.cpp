// libFuzzer target: the generated ASCII grammar (grammar/gen/ascii.spec) against the oracle. The
// first byte picks an entry rule, the rest is the input. Property (one): both give the same
// verdict; abort() otherwise. Start a longer campaign with
//   build/asan/fuzz/differential_fuzzer -max_total_time=3600 -jobs=2 /tmp/work
//   fuzz/corpus/differential
// Depends on: the generated ascii grammar, grammar/oracle/.
#include "ascii/rules.hpp"
#include "oracle/oracle.hpp"
#include "oracle/spec.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

smtpd::abnf::Grammar const& grammar() {
    static smtpd::abnf::Grammar const g = [] {
        auto linked = smtpd::oracle::load_spec(SMTPD_SOURCE_DIR "/grammar/gen/ascii.spec",
                                               SMTPD_SOURCE_DIR "/grammar/abnf");
        if (!linked.grammar) {
            std::fprintf(stderr, "differential_fuzzer: cannot load the ascii grammar\n");
            std::abort();
        }
        return *linked.grammar;
    }();
    return g;
}

} // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace ascii = smtpd::grammar::gen::ascii;
    if (size == 0 || size > 2048) {
        return 0;
    }
    static smtpd::oracle::Oracle oracle(grammar());
    auto const entry = static_cast<ascii::Entry>(data[0] % ascii::kEntryCount);
    std::string_view const input(reinterpret_cast<char const*>(data + 1), size - 1);
    std::vector<smtpd::grammar::abnf_x3::Capture> captures;
    bool const generated = ascii::parse(entry, input, captures);
    bool const expected = oracle.matches(smtpd::abnf::Key(ascii::entry_rule(entry)), input);
    if (generated != expected) {
        std::fprintf(stderr, "differential: %s: generated %d, oracle %d\n",
                     std::string(ascii::entry_rule(entry)).c_str(), generated, expected);
        std::abort();
    }
    return 0;
}

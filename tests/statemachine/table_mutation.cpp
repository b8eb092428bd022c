// Table mutation testing (docs/assurance.md): for every row of both tables in turn, a run-time
// copy of the table without it; for every guarded row, a copy without its guard; for every guard
// of two or more literals, a copy without each literal. Each mutant runs the row scenarios and
// the totality sweep (server_rows.cpp, client_rows.cpp), then the transcripts
// (table_transcripts.cpp); a mutant is killed when something observable differs from the real
// table. Prints the score and one "survivor <side> <mutation>" line per survivor, which
// mutation_test.sh hands to spin. Depends on: statemachine/ and the test support above.
#include "client_rows.hpp"
#include "server_rows.hpp"
#include "table_transcripts.hpp"

#include <cstdio>

namespace {

using namespace smtpd::sm;

struct Score {
    std::size_t mutants = 0;
    std::size_t by_rows = 0;
    std::size_t by_transcripts = 0;
    std::size_t survivors = 0;
};

template <class Side, class RowsDiffer, class TranscriptsDiffer>
Score run(char const* side, std::span<table::Row<Side> const> real, RowsDiffer rows_differ,
          TranscriptsDiffer transcripts_differ) {
    Score score;
    for (table::Mutation const m : table::mutations<Side>(real)) {
        std::vector<table::Row<Side>> const rows = table::mutant<Side>(real, m);
        ++score.mutants;
        if (!rows_differ(rows).empty()) {
            ++score.by_rows;
        } else if (!transcripts_differ(rows).empty()) {
            ++score.by_transcripts;
        } else {
            ++score.survivors;
            std::printf("survivor %s %s\n", side, table::describe<Side>(real, m).c_str());
        }
    }
    std::printf("score %s: %zu mutants, %zu killed by the row scenarios, %zu by the transcripts, "
                "%zu left for spin\n",
                side, score.mutants, score.by_rows, score.by_transcripts, score.survivors);
    return score;
}

} // namespace

int main() {
    using namespace smtpd::sm::testing;
    run<ServerSide>(
        "server", server_table(), [](std::span<Row const> r) { return server_rows_differ(r); },
        [](std::span<Row const> r) { return server_transcripts_differ(r); });
    run<ClientSide>(
        "client", client_table(),
        [](std::span<ClientRow const> r) { return client_rows_differ(r); },
        [](std::span<ClientRow const> r) { return client_transcripts_differ(r); });
    return 0;
}

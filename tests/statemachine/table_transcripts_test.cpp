// The in-memory transcripts of whole sessions (table_transcripts.cpp) over the real tables give
// the summaries written beside them: the replies' codes and what was queued (server), each
// recipient's result and the counts (client). The mutation tests run the same transcripts over
// every mutant.
#include "table_transcripts.hpp"

#include <gtest/gtest.h>

namespace smtpd::sm {
namespace {

TEST(TableTranscripts, ServerTranscriptsEndAsWritten) {
    for (auto const& t : testing::server_transcripts()) {
        EXPECT_EQ(testing::run_server_transcript(t.name, server_table()), t.expected) << t.name;
    }
}

TEST(TableTranscripts, ClientTranscriptsEndAsWritten) {
    for (auto const& t : testing::client_transcripts()) {
        EXPECT_EQ(testing::run_client_transcript(t.name, client_table()), t.expected) << t.name;
    }
}

} // namespace
} // namespace smtpd::sm

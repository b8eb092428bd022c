// Test support: in-memory transcripts of whole sessions through the test wires (wire.hpp,
// client_wire.hpp) over any table, each with a short summary of what it must end in. The
// transcript tests (table_transcripts_test.cpp) check the real tables give those summaries;
// the mutation tests (table_mutation.cpp) run every mutant through the same transcripts.
// Depends on: statemachine/, wire.hpp, client_wire.hpp.
#pragma once

#include "smtpd/sm/client.hpp"
#include "smtpd/sm/session.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::sm::testing {

struct TranscriptCase {
    std::string_view name;
    std::string_view expected; ///< the summary the real table gives
};

/// The server transcripts' names and summaries (reply codes, messages queued, final state).
std::vector<TranscriptCase> server_transcripts();
/// The summary of server transcript `name` run over `rows` (with `full`, every reply too).
std::string run_server_transcript(std::string_view name, std::span<Row const> rows,
                                  bool full = false);

/// The client transcripts' names and summaries (results, counts, final state).
std::vector<TranscriptCase> client_transcripts();
/// The summary of client transcript `name` run over `rows` (with `full`, every byte sent).
std::string run_client_transcript(std::string_view name, std::span<ClientRow const> rows,
                                  bool full = false);

/// The first transcript whose full record (every byte sent, every reply) differs between the
/// real table and `rows`, or whose summary is not the expected one; empty if none.
std::string server_transcripts_differ(std::span<Row const> rows);
std::string client_transcripts_differ(std::span<ClientRow const> rows);

} // namespace smtpd::sm::testing

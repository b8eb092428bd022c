// Test helper: plays a conformance case (conformance_case.hpp) in memory against
// sm::ServerConnection, answering its questions as the smtpd of tests/integration/
// test_conformance.py does (conformance/refservers.py's Ours: recipients at the case's {domain}
// and <Postmaster> accepted, any other domain a relay refused, the credentials table's one user,
// every commit queued), and checks the replies and the queued content against the case's S: and
// M: steps with the runner's rules. T: is a handshake that succeeds after every byte before it
// was received; the bytes after it are the clear text inside TLS.
// Depends on: statemachine/ (server_connection.hpp), conformance_case.hpp.
#pragma once

#include "conformance_case.hpp"

#include "smtpd/sm/server_connection.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::sm::testing {

/// One of the listeners tests/integration/test_conformance.py runs the suite against.
struct Listener {
    std::string_view name;
    SessionParams params;
    bool tls = false;  ///< offers STARTTLS (the runner's --tls)
    bool auth = false; ///< offers AUTH (the runner's --auth, --auth-user, --auth-pass)
};

/// `listen on 127.0.0.1 port N`, nothing else (test_suite_against_our_smtpd).
[[nodiscard]] Listener plain_listener();
/// `... tls pki mx.test auth-optional <creds>` (test_suite_with_starttls_and_auth).
[[nodiscard]] Listener starttls_auth_listener();

/// The facts the integration test gives the runner (--domain localhost, the credentials).
[[nodiscard]] CaseFacts integration_facts();

/// The client's side of a case: every C: and R: byte in order, where the TLS handshakes (T:)
/// come, and where each of the runner's writes ends (sends between two other steps are one).
struct ClientStream {
    std::string bytes;
    std::vector<std::size_t> handshakes;
    std::vector<std::size_t> writes;
};

[[nodiscard]] ClientStream client_stream(Case const& c);

/// What one replay did.
struct Transcript {
    /// Every action the connection took, in order, adjacent writes merged: the same for every
    /// split of the same bytes.
    std::vector<std::string> log;
    std::vector<std::string> replies;  ///< rendered, CRLF-terminated
    std::vector<std::string> messages; ///< the content of each queued message
    bool server_closed = false;        ///< the server closed before the client did
    std::vector<std::string> faults;   ///< what the runner could not have done (T: without TLS)
};

/// Replays `stream`, cut at `cuts` (offsets, ascending) and at every handshake, then closes.
[[nodiscard]] Transcript replay_case(ClientStream const& stream, Listener const& listener,
                                     CaseFacts const& facts, std::span<std::size_t const> cuts);

/// Empty when the transcript meets every S: and M: step of the case, else why not.
[[nodiscard]] std::string check_case(Case const& c, Transcript const& t);

} // namespace smtpd::sm::testing

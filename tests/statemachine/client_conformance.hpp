// Test helper: plays a client-side conformance case (conformance/client/**/*.smtp, read by
// conformance_case.hpp with CaseSide::Client) in memory against sm::ClientConnection, driven by
// ClientWire (client_wire.hpp, the transcript tests' driver): the case's relay and messages
// become ClientParams and ClientMessages, its S:/R: bytes are fed, and what the client sends
// after each group of them is checked against the C: lines, its results against the O: lines.
// Depends on: conformance_case.hpp, client_wire.hpp, statemachine/.
#pragma once

#include "client_wire.hpp"
#include "conformance_case.hpp"

#include <deque>
#include <span>
#include <string>
#include <vector>

namespace smtpd::sm::testing {

/// A client case's setup: the relay's configuration and the messages it carries, in order.
struct ClientSetup {
    ClientParams params;
    std::deque<WireMessage> messages;
    std::string error; ///< why the setup headers are malformed; empty when they are not
};

/// Reads the case's relay:, mail:, rcpt:, content: and content-raw: headers.
[[nodiscard]] ClientSetup client_setup(Case const& c);

/// The peer server's side of a case: every S: and R: byte in order, and where the runtime's
/// events (T:, E:) come.
struct ServerStream {
    struct Event {
        std::size_t at = 0;
        CaseStep::Kind kind = CaseStep::Kind::Tls;
        std::string what; ///< "ok", "fail", "closed", "timeout"
    };
    std::string bytes;
    std::vector<Event> events;
};

[[nodiscard]] ServerStream server_stream(Case const& c);

/// What one replay did: the same for every split of the server's bytes.
struct ClientRecord {
    std::string sent;                ///< every byte the client wrote
    std::vector<std::string> log;    ///< rows fired, results and the end, in order
    std::vector<std::string> faults; ///< what no driver could have done (T: with no handshake)
    friend bool operator==(ClientRecord const&, ClientRecord const&) = default;
};

/// Replays the whole stream turn by turn (each group of S:/R: lines is one write) and checks
/// every C: and O: step; `why` is empty when the client met the case.
struct ClientCheck {
    ClientRecord record;
    std::string why;
};
[[nodiscard]] ClientCheck check_client_case(Case const& c, ClientSetup const& setup);

/// Replays `stream` cut at `cuts` (ascending offsets) and at every event, without checking.
[[nodiscard]] ClientRecord replay_client(ServerStream const& stream, ClientSetup const& setup,
                                         std::span<std::size_t const> cuts);

} // namespace smtpd::sm::testing

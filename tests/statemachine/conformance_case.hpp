// Test helper: reads the conformance cases (conformance/cases/**/*.smtp, format in
// conformance/README.md) as conformance/runner/smtpconf.py does, and matches replies against
// their S: expectations with the runner's rules (codes, families, enhanced codes, +KEYWORDS,
// `closed`, `any`, alternatives with `|`), so a case means the same in memory as over TCP.
// The client-side cases (conformance/client/) are read by the same reader, mirrored.
// Depends on: statemachine/ (base64_encode, in the .cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smtpd::sm::testing {

/// What the runner is told about the server (its --domain, --auth-user, --auth-pass).
struct CaseFacts {
    std::string domain = "localhost";
    std::string auth_user;
    std::string auth_pass;
};

/// One alternative of an expectation: "250", "55x 5.7.*", "250 +SIZE", "closed", "any".
struct ExpectAlternative {
    std::string code; ///< three characters of [2-5][0-9x][0-9x], or "closed" or "any"
    std::optional<std::string> enhanced;
    std::vector<std::string> keywords; ///< upper case, without the '+'
};

/// An S: line.
struct Expect {
    std::string spec;
    std::vector<ExpectAlternative> alternatives;

    [[nodiscard]] bool accepts_close() const;
    /// `lines` are the reply's lines without CRLF; the code is the first three characters.
    [[nodiscard]] bool matches(std::vector<std::string> const& lines) const;
};

/// Which side the suite plays: the client (conformance/cases: the server under test replies)
/// or the server (conformance/client: the client under test sends).
enum class CaseSide : unsigned char { Server, Client };

/// One step of a dialogue, in file order. A client case mirrors a server one: its S: and R:
/// lines are Send (the peer server's bytes), its C: lines ClientLine, and it adds Event (E:) and
/// Outcome (O:); its W: is Wait, the end of one of the server's writes.
struct CaseStep {
    enum class Kind { Send, Expect, Message, Wait, Tls, ClientLine, Event, Outcome };
    Kind kind = Kind::Send;
    /// Send: the bytes (C:, or S: in a client case, with CRLF appended); Message: the expected
    /// body; Tls: "ok" or "fail"; Event: "closed" or "timeout"; Outcome: the recipient's path
    /// as written ("<b@example.net>") and then, after a space, its fate.
    std::string bytes;
    Expect expect; ///< Expect; Outcome: the reply the result carries
    double seconds = 0;
    /// ClientLine: what the client may send here, each with its CRLF; "" is `closed`.
    std::vector<std::string> alternatives;
};

struct Case {
    std::string path;
    std::string id;
    std::string rfc;
    std::string level;
    std::vector<std::string> requirements; ///< its `requires:` header: "maildir", "tls", "auth"
    std::vector<CaseStep> steps;
    /// A client case's setup headers in file order ("relay", "mail", "rcpt", "content",
    /// "content-raw"), their values with escapes decoded and {X*N} expanded.
    std::vector<std::pair<std::string, std::string>> setup;

    [[nodiscard]] bool needs(std::string_view what) const;
};

/// A case, or why its file is malformed (the runner's CaseError).
struct ReadCase {
    std::optional<Case> value;
    std::string error;
};

/// Parses one case file's text; `path` is only recorded.
[[nodiscard]] ReadCase parse_case(std::string_view text, std::string const& path,
                                  CaseFacts const& facts, CaseSide side = CaseSide::Server);

/// Every case under `dir`, sorted by file name; a malformed file is named in `errors`.
[[nodiscard]] std::vector<Case> read_cases(std::string const& dir, CaseFacts const& facts,
                                           CaseSide side, std::vector<std::string>& errors);

/// The offsets a replay splits a stream of `size` octets at (Beast's parsegrind): every one up
/// to kEveryOffsetUpTo octets; for a longer stream, every one among its first and last 96 and
/// 96 more between them, evenly spaced with a jitter so that they fall at varied places in the
/// lines (n replays of n bytes cost n²: minutes under ASan for a 75 kB message).
inline constexpr std::size_t kEveryOffsetUpTo = 1200;
[[nodiscard]] std::vector<std::size_t> split_offsets(std::size_t size);

/// Every *.smtp file under `dir`, sorted (the runner's collect()).
[[nodiscard]] std::vector<std::string> case_files(std::string const& dir);

/// The ids listed in a known-failures folder (every *.txt: `id  # reason`), with their reasons.
[[nodiscard]] std::vector<std::pair<std::string, std::string>>
known_failures(std::string const& dir);

/// Backslash escapes decoded as Python's codecs.escape_decode does (\r \n \t \0 \xNN \ooo \\ ...).
[[nodiscard]] std::string decode_escapes(std::string_view text);

/// {domain}, {id}, the AUTH placeholders, then {X*N} as N copies of X.
[[nodiscard]] std::string expand(std::string_view text, CaseFacts const& facts,
                                 std::string_view id);

} // namespace smtpd::sm::testing

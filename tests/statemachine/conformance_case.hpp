// Test helper: reads the conformance cases (conformance/cases/**/*.smtp, format in
// conformance/README.md) as conformance/runner/smtpconf.py does, and matches replies against
// their S: expectations with the runner's rules (codes, families, enhanced codes, +KEYWORDS,
// `closed`, `any`, alternatives with `|`), so a case means the same in memory as over TCP.
// Depends on: statemachine/ (base64_encode, in the .cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>
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

/// One step of a dialogue, in file order.
struct CaseStep {
    enum class Kind { Send, Expect, Message, Wait, Tls };
    Kind kind = Kind::Send;
    std::string bytes; ///< Send: the bytes (C: with CRLF appended); Message: the expected body
    Expect expect;     ///< Expect
    double seconds = 0;
};

struct Case {
    std::string path;
    std::string id;
    std::string rfc;
    std::string level;
    std::vector<std::string> requirements; ///< its `requires:` header: "maildir", "tls", "auth"
    std::vector<CaseStep> steps;

    [[nodiscard]] bool needs(std::string_view what) const;
};

/// A case, or why its file is malformed (the runner's CaseError).
struct ReadCase {
    std::optional<Case> value;
    std::string error;
};

/// Parses one case file's text; `path` is only recorded.
[[nodiscard]] ReadCase parse_case(std::string_view text, std::string const& path,
                                  CaseFacts const& facts);

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

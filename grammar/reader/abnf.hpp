// The ABNF reader's interface: RFC 5234 ABNF text (with RFC 7405's %s / %i) -> RuleFile, a set of
// files linked into one Grammar (each file its own namespace; cross-file references only through
// "; @import" lines; "=/" may extend an imported rule), and a printer back to ABNF text.
// Shared by the generator (grammar/gen/), the oracle (grammar/oracle/) and the random-string
// generator of the tests; nothing else is shared between them.
// Depends on: the standard library only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::abnf {

/// A position in an ABNF file, 1-based.
struct SourcePos {
    std::string file;
    unsigned line = 0;
    unsigned column = 0;
    friend bool operator==(SourcePos const&, SourcePos const&) = default;
};

/// One error: "file:line:column: message".
struct Error {
    SourcePos where;
    std::string message;
    [[nodiscard]] std::string to_string() const;
};

inline constexpr unsigned kUnbounded = ~0U;

/// Groups and options nest at most this deep; deeper text is an error, not a stack overflow.
inline constexpr unsigned kMaxNesting = 200;

/// RFC 5234 §4's elements, kept as written so that printing gives back equivalent text.
enum class NodeKind : unsigned char {
    Alternation,   ///< children: two or more alternatives, "a / b"
    Concatenation, ///< children: two or more elements in order, "a b"
    Repetition,    ///< one child, repeated min..max times: "*a", "1*3a", "2a"
    Option,        ///< one child: "[ a ]" (the same language as 0*1a; kept apart for printing)
    Group,         ///< one child: "( a )" as written
    RuleRef,       ///< name: a rule name as written (after linking: the rule's Key)
    CharVal,       ///< text between quotes; case_sensitive for RFC 7405's %s"..."
    NumRange,      ///< values = {lo, hi}: "%x41-5A"
    NumSeq,        ///< values: one or more, "%x0D.0A" or "%d32"
    ProseVal,      ///< text between < >: readable, never matched (generator and oracle refuse it)
};

struct Node {
    NodeKind kind = NodeKind::Concatenation;
    std::vector<Node> children;
    unsigned min = 1;                  ///< Repetition
    unsigned max = 1;                  ///< Repetition; kUnbounded for "*"
    std::string name;                  ///< RuleRef
    std::string text;                  ///< CharVal, ProseVal
    bool case_sensitive = false;       ///< CharVal: %s"..." (RFC 7405)
    bool explicit_insensitive = false; ///< CharVal: written %i"..." (for printing)
    char base = 'x';                   ///< NumRange / NumSeq: 'b', 'd' or 'x' as written
    std::vector<std::uint32_t> values; ///< NumRange {lo, hi}; NumSeq the values
    SourcePos where;
};

/// "name = elements" or "name =/ elements".
struct Rule {
    std::string name; ///< as written in its definition
    bool incremental = false;
    Node definition;
    SourcePos where;
};

/// "; @import <file> <rule> <rule> ..." — a comment to any other ABNF reader, so the files stay
/// plain RFC 5234 ABNF. <file> is another file's name without ".abnf" (e.g. rfc5234-core).
struct Import {
    std::string file;
    std::vector<std::string> names;
    SourcePos where;
};

/// One .abnf file: its name (the file name without directory and ".abnf"), imports and rules.
struct RuleFile {
    std::string name;
    std::vector<Import> imports;
    std::vector<Rule> rules;
};

/// The rules of a file, or every error found (reading goes on at the next rule after an error).
struct ReadResult {
    std::optional<RuleFile> file;
    std::vector<Error> errors;
};

/// Reads ABNF text. `file_name` names the file in errors and becomes RuleFile::name (its
/// directory and a ".abnf" suffix are dropped). Accepts RFC 5234 §4's syntax with both CRLF and
/// LF line ends, RFC 7405's %s / %i prefixes, and the "; @import" pragma.
[[nodiscard]] ReadResult read(std::string_view text, std::string_view file_name);

/// The canonical ABNF text of an element (one line) and of a whole file (imports, then one rule
/// per line, "=" or "=/" as written). read(print(f)) gives back f, positions aside.
[[nodiscard]] std::string print(Node const& node);
[[nodiscard]] std::string print(RuleFile const& file);

/// A rule's identity across files: "<file>:<name>" with the name in lower case (ABNF rule names
/// are case-insensitive), e.g. "rfc5321:domain".
using Key = std::string;

/// A linked rule: every "=/" of every loaded file merged into one definition (an Alternation
/// whose first alternatives are the "=" definition's), every RuleRef's name replaced by the Key
/// of the rule it names.
struct LinkedRule {
    Key key;
    std::string file;
    std::string name; ///< as written in the "=" definition
    Node definition;
    SourcePos where; ///< of the "=" definition
};

/// Files linked together. Errors: a reference to a rule neither defined in the file nor imported
/// into it, an import of a file not loaded or of a rule it does not define, a rule defined twice
/// with "=", "=/" before (or without) the "=" definition, an import that clashes with a local rule.
struct Grammar {
    std::map<Key, LinkedRule> rules;
    std::vector<std::string> files; ///< in load order
    /// The Key for `name` as seen from `file` (a local rule or an import); none if unknown.
    [[nodiscard]] std::optional<Key> resolve(std::string_view file, std::string_view name) const;
    [[nodiscard]] LinkedRule const* find(Key const& key) const;

    std::map<std::string, std::map<std::string, Key>> scope; ///< file -> lower(name) -> key
};

struct LinkResult {
    std::optional<Grammar> grammar;
    std::vector<Error> errors;
};

/// Links files (in order: an "=/" applies in the order the files are given).
[[nodiscard]] LinkResult link(std::vector<RuleFile> const& files);

/// Reads every path and links them; errors carry the path.
[[nodiscard]] LinkResult load(std::vector<std::string> const& paths);

/// True if `a` and `b` are equal apart from source positions: what read(print(x)) preserves.
[[nodiscard]] bool same_structure(Node const& a, Node const& b);
[[nodiscard]] bool same_structure(RuleFile const& a, RuleFile const& b);

/// "rfc5321:domain" for ("rfc5321", "Domain").
[[nodiscard]] Key make_key(std::string_view file, std::string_view name);

} // namespace smtpd::abnf

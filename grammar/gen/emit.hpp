// The generator proper: decides, for every rule reachable from a spec's entry rules, how it is
// parsed exactly, and writes the X3 code. A rule is emitted as PEG when every choice point in it
// is provably deterministic (LL(1), or an alternation whose language - with the elements that
// follow it, distributed into each alternative - is prefix-free); otherwise as a DFA with longest
// match when no byte that can follow the rule can extend one of its matches and no capture lies
// inside it; otherwise it needs a hand-written override on the allow-list, or generation fails.
// Depends on: analysis.hpp, automaton.hpp.
#pragma once

#include "gen/analysis.hpp"
#include "gen/automaton.hpp"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace smtpd::abnfgen {

/// A grammar spec (grammar/gen/*.spec): the files to load, the entry rules, the captured rules.
struct Spec {
    std::string variant; ///< the C++ namespace of the generated code: smtpd::grammar::gen::<v>
    std::vector<std::string> files;
    std::vector<abnf::Key> entries;
    std::vector<abnf::Key> captures;
};

/// Reads a spec: lines "variant <name>", "files <f>...", "entry <key>...", "capture <key>...";
/// "#" starts a comment. Errors are appended as "file:line: message".
[[nodiscard]] Spec read_spec(std::string const& text, std::string const& file,
                             std::vector<std::string>& errors);

enum class Mode : unsigned char { Peg, Dfa, Override, Refused };

struct Decision {
    Mode mode = Mode::Refused;
    std::vector<std::string> reasons; ///< why PEG (and DFA) could not be used
    std::optional<Dfa> dfa;
};

class Generator {
  public:
    Generator(Analysis const& analysis, Spec spec, std::set<abnf::Key> allowed_overrides);

    [[nodiscard]] std::map<abnf::Key, Decision> const& decisions() const { return decisions_; }
    /// rules.hpp: the entry points and capture ids; no X3 in it.
    [[nodiscard]] std::string header() const;
    /// rules_def.hpp: the X3 rules.
    [[nodiscard]] std::string definitions() const;
    /// rules.cpp: the one translation unit that instantiates them.
    [[nodiscard]] std::string source() const;

    /// The C++ identifier of a rule key ("rfc5321:local-part" -> "rfc5321_local_part").
    [[nodiscard]] static std::string ident(abnf::Key const& key);

  private:
    struct Check;
    void decide(abnf::Key const& key);
    [[nodiscard]] std::string expr(abnf::Node const& node, Follow const& after) const;
    [[nodiscard]] std::string concatenation(abnf::Node const& node, Follow const& after) const;
    [[nodiscard]] std::string dfa_tables(abnf::Key const& key, Dfa const& dfa) const;
    [[nodiscard]] bool has_capture(abnf::Node const& node) const;
    /// True if a rule `rule` uses, directly or not, is captured.
    [[nodiscard]] bool captures_inside(abnf::Key const& rule) const;

    Analysis const& analysis_;
    Spec spec_;
    std::set<abnf::Key> allowed_;
    std::set<abnf::Key> captured_;
    std::map<abnf::Key, Decision> decisions_;
    std::set<abnf::Node const*> distribute_; ///< alternations emitted with their suffix inside
};

} // namespace smtpd::abnfgen

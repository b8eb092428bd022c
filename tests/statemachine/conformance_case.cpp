// The conformance case reader and the reply matcher, a transcription of
// conformance/runner/smtpconf.py's parse_case, expand, to_bytes and Expect: where the two could
// differ (escapes, {X*N}, keyword and enhanced-code matching), this follows the Python.
// Depends on: conformance_case.hpp, statemachine/ (base64_encode).
#include "conformance_case.hpp"

#include "smtpd/sm/client.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace smtpd::sm::testing {

namespace {

std::string_view trim(std::string_view s) {
    auto const first = s.find_first_not_of(" \t\r\n\f\v");
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(" \t\r\n\f\v") - first + 1);
}

std::string upper(std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(),
                           [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

/// Python's str.split() without arguments: runs of white space separate, none are kept.
std::vector<std::string> words(std::string_view s) {
    std::vector<std::string> out;
    std::istringstream in{std::string(s)};
    for (std::string w; in >> w;) {
        out.push_back(w);
    }
    return out;
}

/// Python's str.splitlines() for the separators a case file can hold (\n, \r\n, \r).
std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        auto const end = text.find_first_of("\r\n");
        if (end == std::string_view::npos) {
            out.push_back(text);
            break;
        }
        out.push_back(text.substr(0, end));
        std::size_t const sep = text.substr(end, 2) == "\r\n" ? 2 : 1;
        text.remove_prefix(end + sep);
    }
    return out;
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
    return text;
}

/// `\{(.+?)\*(\d+)\}` at `i`: the end of the match, the text to repeat and the count.
struct Repeat {
    std::size_t end = 0;
    std::string_view text;
    std::size_t count = 0;
};

std::optional<Repeat> repeat_at(std::string_view s, std::size_t i) {
    if (s[i] != '{') {
        return std::nullopt;
    }
    for (std::size_t j = i + 2; j < s.size() && s[j - 1] != '\n'; ++j) {
        if (s[j] != '*') {
            continue;
        }
        std::size_t k = j + 1;
        while (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k])) != 0) {
            ++k;
        }
        if (k > j + 1 && k < s.size() && s[k] == '}') {
            std::string const digits(s.substr(j + 1, k - j - 1));
            return Repeat{k + 1, s.substr(i + 1, j - i - 1), std::stoul(digits)};
        }
    }
    return std::nullopt;
}

/// '*' in an enhanced-code pattern is one or more digits (the runner's regular expression).
bool glob_digits(std::string_view pattern, std::string_view text) {
    if (pattern.empty()) {
        return text.empty();
    }
    if (pattern.front() != '*') {
        return !text.empty() && text.front() == pattern.front() &&
               glob_digits(pattern.substr(1), text.substr(1));
    }
    for (std::size_t n = 1;
         n <= text.size() && std::isdigit(static_cast<unsigned char>(text[n - 1])); ++n) {
        if (glob_digits(pattern.substr(1), text.substr(n))) {
            return true;
        }
    }
    return false;
}

bool valid_code_pattern(std::string_view code) {
    return code.size() == 3 && code[0] >= '2' && code[0] <= '5' &&
           std::ranges::all_of(code.substr(1), [](char c) {
               return c == 'x' || std::isdigit(static_cast<unsigned char>(c)) != 0;
           });
}

std::optional<Expect> parse_expect(std::string_view spec, std::string& error) {
    Expect e;
    e.spec = std::string(trim(spec));
    std::string_view rest = e.spec;
    for (;;) {
        auto const bar = rest.find('|');
        auto const parts = words(rest.substr(0, bar));
        if (parts.empty()) {
            error = "empty expectation in '" + e.spec + "'";
            return std::nullopt;
        }
        ExpectAlternative alt{parts[0], std::nullopt, {}};
        for (std::size_t i = 1; i < parts.size(); ++i) {
            if (parts[i].starts_with('+')) {
                alt.keywords.push_back(upper(parts[i].substr(1)));
            } else if (!alt.enhanced) {
                alt.enhanced = parts[i];
            }
        }
        if (alt.code != "closed" && alt.code != "any" && !valid_code_pattern(alt.code)) {
            error = "bad reply code pattern '" + alt.code + "'";
            return std::nullopt;
        }
        e.alternatives.push_back(std::move(alt));
        if (bar == std::string_view::npos) {
            return e;
        }
        rest.remove_prefix(bar + 1);
    }
}

constexpr std::array<std::string_view, 6> kHeaderKeys{"id",    "rfc",      "level",
                                                      "quote", "requires", "note"};
/// A client case's setup: the relay's configuration, and each message's envelope and content.
constexpr std::array<std::string_view, 5> kSetupKeys{"relay", "mail", "rcpt", "content",
                                                     "content-raw"};
constexpr std::array<std::string_view, 5> kLevels{"MUST", "MUST NOT", "SHOULD", "SHOULD NOT",
                                                  "MAY"};

bool parse_header(std::string_view header, Case& c, CaseSide side, CaseFacts const& facts,
                  std::string& error) {
    bool quoted = false;
    for (auto line : split_lines(header)) {
        if (trim(line).empty() || line.starts_with('#')) {
            continue;
        }
        auto const colon = line.find(':');
        std::string key(trim(line.substr(0, colon)));
        std::ranges::transform(
            key, key.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        std::string const value(colon == std::string_view::npos ? ""
                                                                : trim(line.substr(colon + 1)));
        if (side == CaseSide::Client && std::ranges::find(kSetupKeys, key) != kSetupKeys.end()) {
            c.setup.emplace_back(key, decode_escapes(expand(value, facts, c.id)));
            continue;
        }
        if (std::ranges::find(kHeaderKeys, key) == kHeaderKeys.end()) {
            error = "unknown header '" + key + "'";
            return false;
        }
        quoted = quoted || key == "quote";
        if (key == "id") {
            c.id = value;
        } else if (key == "rfc") {
            c.rfc = value;
        } else if (key == "level") {
            c.level = value;
        } else if (key == "requires") {
            std::istringstream in(value);
            for (std::string need; std::getline(in, need, ',');) {
                if (!trim(need).empty()) {
                    c.requirements.emplace_back(trim(need));
                }
            }
        }
    }
    if (c.id.empty() || c.rfc.empty() || c.level.empty() || !quoted) {
        error = "missing header (id, rfc, level and quote are required)";
        return false;
    }
    if (std::ranges::find(kLevels, c.level) == kLevels.end()) {
        error = "bad level '" + c.level + "'";
        return false;
    }
    return true;
}

constexpr std::array<std::string_view, 4> kFates{"delivered", "tempfail", "permfail", "deferred"};

/// A client case's step: S: and R: the peer server's bytes, C: what the client must send
/// (alternatives separated by " | ", `closed`), W: the end of a server write (the client must
/// have sent the C: lines above and no more), T: ok|fail, E: closed|timeout, O: a result.
std::optional<CaseStep> client_step(std::string_view kind, std::string_view value,
                                    CaseFacts const& facts, std::string const& id,
                                    std::string& error) {
    CaseStep s;
    if (kind == "S" || kind == "R") {
        s.bytes = decode_escapes(expand(value, facts, id)) + (kind == "S" ? "\r\n" : "");
        return s;
    }
    if (kind == "C") {
        s.kind = CaseStep::Kind::ClientLine;
        for (std::size_t at = 0;;) {
            auto const bar = value.find(" | ", at);
            std::string_view const alt = value.substr(at, bar - at);
            s.alternatives.push_back(trim(alt) == "closed"
                                         ? std::string()
                                         : decode_escapes(expand(alt, facts, id)) + "\r\n");
            if (bar == std::string_view::npos) {
                return s;
            }
            at = bar + 3;
        }
    }
    std::string const word(trim(value));
    if (kind == "W") {
        s.kind = CaseStep::Kind::Wait;
        return s;
    }
    if (kind == "T" || kind == "E") {
        s.kind = kind == "T" ? CaseStep::Kind::Tls : CaseStep::Kind::Event;
        s.bytes = word.empty() && kind == "T" ? "ok" : word;
        bool const ok = kind == "T" ? (s.bytes == "ok" || s.bytes == "fail")
                                    : (s.bytes == "closed" || s.bytes == "timeout");
        if (!ok) {
            error = "bad " + std::string(kind) + ": '" + word + "'";
            return std::nullopt;
        }
        return s;
    }
    if (kind == "O") {
        auto const parts = words(decode_escapes(expand(word, facts, id)));
        if (parts.size() < 2 || std::ranges::find(kFates, parts[1]) == kFates.end()) {
            error = "O: wants a recipient and delivered, tempfail, permfail or deferred";
            return std::nullopt;
        }
        s.kind = CaseStep::Kind::Outcome;
        s.bytes = parts[0] + " " + parts[1];
        std::string spec;
        for (std::size_t i = 2; i < parts.size(); ++i) {
            spec += parts[i] + " ";
        }
        auto e = parse_expect(spec.empty() ? "any" : spec, error);
        if (!e) {
            return std::nullopt;
        }
        s.expect = std::move(*e);
        return s;
    }
    error = "unknown step '" + std::string(kind) + "'";
    return std::nullopt;
}

} // namespace

bool Expect::accepts_close() const {
    return std::ranges::any_of(alternatives, [](auto const& a) { return a.code == "closed"; });
}

bool Expect::matches(std::vector<std::string> const& lines) const {
    // RFC 5321 §4.1.1.1: an EHLO reply names one extension keyword per line after the first.
    std::vector<std::string> offered;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        if (lines[i].size() > 4) {
            std::string_view const text = std::string_view(lines[i]).substr(4);
            offered.push_back(upper(text.substr(0, text.find(' '))));
        }
    }
    std::string_view const code =
        lines.empty() ? std::string_view() : std::string_view(lines.front()).substr(0, 3);
    for (auto const& alt : alternatives) {
        if (alt.code == "any") {
            return true;
        }
        if (alt.code == "closed" || code.size() != 3) {
            continue;
        }
        bool const code_ok = alt.code[0] == code[0] &&
                             (alt.code[1] == 'x' || alt.code[1] == code[1]) &&
                             (alt.code[2] == 'x' || alt.code[2] == code[2]);
        bool const keywords_ok = std::ranges::all_of(alt.keywords, [&](auto const& k) {
            return std::ranges::find(offered, k) != offered.end();
        });
        if (!code_ok || !keywords_ok) {
            continue;
        }
        if (!alt.enhanced) {
            return true;
        }
        std::string_view const text =
            lines.back().size() > 4 ? std::string_view(lines.back()).substr(4) : std::string_view();
        if (glob_digits(*alt.enhanced, text.substr(0, text.find(' ')))) {
            return true;
        }
    }
    return false;
}

bool Case::needs(std::string_view what) const {
    return std::ranges::find(requirements, what) != requirements.end();
}

std::string decode_escapes(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\' || i + 1 == text.size()) {
            out += text[i];
            continue;
        }
        char const c = text[++i];
        auto const octal = [](char d) { return d >= '0' && d <= '7'; };
        auto const hex = [](char d) { return std::isxdigit(static_cast<unsigned char>(d)) != 0; };
        // Python's one-character escapes: the escape letter, then what it stands for.
        constexpr std::string_view kSimple = "\\\\''\"\"a\ab\bf\fn\nr\rt\tv\v";
        if (c == '\n') {
            continue; // a backslash before a newline joins the lines
        }
        if (auto const at = kSimple.find(c); at != std::string_view::npos && at % 2 == 0) {
            out += kSimple[at + 1];
        } else if (c == 'x' && i + 2 < text.size() && hex(text[i + 1]) && hex(text[i + 2])) {
            out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else if (octal(c)) {
            int value = c - '0';
            for (int n = 0; n < 2 && i + 1 < text.size() && octal(text[i + 1]); ++n) {
                value = value * 8 + (text[++i] - '0');
            }
            out += static_cast<char>(value & 0xff);
        } else {
            out += '\\';
            out += c;
        }
    }
    return out;
}

std::string expand(std::string_view text, CaseFacts const& facts, std::string_view id) {
    std::string s(text);
    std::string const& user = facts.auth_user;
    std::string const& pass = facts.auth_pass;
    s = replace_all(std::move(s), "{domain}", facts.domain);
    s = replace_all(std::move(s), "{id}", id);
    s = replace_all(std::move(s), "{auth_plain}",
                    base64_encode(std::string(1, '\0') + user + '\0' + pass));
    s = replace_all(std::move(s), "{auth_bad_plain}",
                    base64_encode(std::string(1, '\0') + user + '\0' + pass + "-wrong"));
    s = replace_all(std::move(s), "{auth_user}", base64_encode(user));
    s = replace_all(std::move(s), "{auth_pass}", base64_encode(pass));
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        if (auto const r = repeat_at(s, i)) {
            for (std::size_t n = 0; n < r->count; ++n) {
                out += r->text;
            }
            i = r->end;
        } else {
            out += s[i++];
        }
    }
    return out;
}

ReadCase parse_case(std::string_view text, std::string const& path, CaseFacts const& facts,
                    CaseSide side) {
    ReadCase result;
    auto const sep = text.find("\n---\n");
    if (sep == std::string_view::npos) {
        result.error = "no '---' line between header and dialogue";
        return result;
    }
    Case c;
    c.path = path;
    if (!parse_header(text.substr(0, sep), c, side, facts, result.error)) {
        return result;
    }
    std::size_t number = 0;
    for (auto line : split_lines(text.substr(sep + 5))) {
        ++number;
        if (trim(line).empty() || line.starts_with('#')) {
            continue;
        }
        auto const colon = line.find(':');
        std::string_view const kind = line.substr(0, colon);
        std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
        if (value.starts_with(' ')) {
            value.remove_prefix(1);
        }
        if (side == CaseSide::Client) {
            auto step = client_step(kind, value, facts, c.id, result.error);
            if (!step) {
                result.error = "line " + std::to_string(number) + ": " + result.error;
                return result;
            }
            c.steps.push_back(std::move(*step));
            continue;
        }
        CaseStep s;
        if (kind == "C" || kind == "R") {
            s.bytes = decode_escapes(expand(value, facts, c.id)) + (kind == "C" ? "\r\n" : "");
        } else if (kind == "S") {
            auto e = parse_expect(value, result.error);
            if (!e) {
                return result;
            }
            s.kind = CaseStep::Kind::Expect;
            s.expect = std::move(*e);
        } else if (kind == "M") {
            s.kind = CaseStep::Kind::Message;
            s.bytes = decode_escapes(expand(value, facts, c.id));
        } else if (kind == "W") {
            s.kind = CaseStep::Kind::Wait;
            s.seconds = std::strtod(std::string(value).c_str(), nullptr);
        } else if (kind == "T") {
            s.kind = CaseStep::Kind::Tls;
        } else {
            result.error =
                "line " + std::to_string(number) + ": unknown step '" + std::string(kind) + "'";
            return result;
        }
        c.steps.push_back(std::move(s));
    }
    result.value = std::move(c);
    return result;
}

std::vector<std::string> case_files(std::string const& dir) {
    std::vector<std::string> files;
    for (auto const& entry : std::filesystem::recursive_directory_iterator(dir)) {
        if (entry.is_regular_file() && entry.path().extension() == ".smtp") {
            files.push_back(entry.path().string());
        }
    }
    std::ranges::sort(files);
    return files;
}

std::vector<Case> read_cases(std::string const& dir, CaseFacts const& facts, CaseSide side,
                             std::vector<std::string>& errors) {
    std::vector<Case> cases;
    for (auto const& file : case_files(dir)) {
        std::ifstream in(file, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        auto read = parse_case(text.str(), file, facts, side);
        if (!read.value) {
            errors.push_back(file + ": " + read.error);
            continue;
        }
        cases.push_back(std::move(*read.value));
    }
    return cases;
}

std::vector<std::size_t> split_offsets(std::size_t size) {
    constexpr std::size_t kEdge = 96;
    constexpr std::size_t kStrided = 96;
    std::vector<std::size_t> at;
    if (size <= kEveryOffsetUpTo) {
        for (std::size_t i = 0; i <= size; ++i) {
            at.push_back(i);
        }
        return at;
    }
    for (std::size_t i = 0; i <= kEdge; ++i) {
        at.push_back(i);
        at.push_back(size - i);
    }
    std::size_t const stride = (size - 2 * kEdge) / kStrided;
    for (std::size_t k = 1; k < kStrided; ++k) {
        at.push_back(kEdge + k * stride + k % 7);
    }
    std::ranges::sort(at);
    return at;
}

std::vector<std::pair<std::string, std::string>> known_failures(std::string const& dir) {
    std::vector<std::string> files;
    for (auto const& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() == ".txt") {
            files.push_back(entry.path().string());
        }
    }
    std::ranges::sort(files);
    std::vector<std::pair<std::string, std::string>> known;
    for (auto const& file : files) {
        std::ifstream in(file);
        for (std::string line; std::getline(in, line);) {
            auto const hash = line.find('#');
            std::string const id(trim(std::string_view(line).substr(0, hash)));
            if (!id.empty()) {
                known.emplace_back(
                    id, hash == std::string::npos
                            ? std::string()
                            : std::string(trim(std::string_view(line).substr(hash + 1))));
            }
        }
    }
    return known;
}

} // namespace smtpd::sm::testing

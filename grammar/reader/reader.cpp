// The ABNF reader: RFC 5234 §4 text (with RFC 7405's %s / %i and the "; @import" pragma) ->
// RuleFile, by hand-written recursive descent over bytes. Positions are 1-based lines and byte
// columns. Invariants: never throws, never reads past the text, groups and options nest at most
// kMaxNesting deep (an error, not a stack overflow); after an error it resumes at the next line
// that starts a rule (a line not starting with white space), so one read reports every rule's
// first error. Depends on: reader/abnf.hpp and the standard library only.
#include "reader/abnf.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smtpd::abnf {
namespace {

bool is_alpha(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_wsp(char c) {
    return c == ' ' || c == '\t';
}
bool is_rulename_char(char c) {
    return is_alpha(c) || is_digit(c) || c == '-';
}
char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// RFC 5234 §4 repetition: a repetition starts with a repeat or an element.
bool starts_repetition(char c) {
    return is_digit(c) || c == '*' || is_alpha(c) || c == '(' || c == '[' || c == '"' || c == '%' ||
           c == '<';
}

/// The value of one digit in `base` ('b', 'd' or 'x'), or -1.
int digit_value(char c, char base) {
    int value = -1;
    if (is_digit(c)) {
        value = c - '0';
    } else if (lower(c) >= 'a' && lower(c) <= 'f') {
        value = lower(c) - 'a' + 10;
    }
    int const radix = base == 'b' ? 2 : base == 'd' ? 10 : 16;
    return value < radix ? value : -1;
}

/// A byte as an error message names it: "character '$'", "byte 0x00".
std::string describe(char c) {
    if (c == '\r') {
        return "carriage return without a line feed";
    }
    auto const byte = static_cast<unsigned char>(c);
    if (byte > 0x20 && byte < 0x7F) {
        return std::string("character '") + c + "'";
    }
    constexpr char kHex[] = "0123456789ABCDEF";
    return std::string("byte 0x") + kHex[byte >> 4U] + kHex[byte & 0xFU];
}

std::string base_name(std::string_view file_name) {
    auto const slash = file_name.find_last_of('/');
    if (slash != std::string_view::npos) {
        file_name.remove_prefix(slash + 1);
    }
    constexpr std::string_view kSuffix = ".abnf";
    if (file_name.size() > kSuffix.size() && file_name.ends_with(kSuffix)) {
        file_name.remove_suffix(kSuffix.size());
    }
    return std::string(file_name);
}

class Reader {
  public:
    Reader(std::string_view text, std::string_view file_name)
        : text_(text), file_(file_name), line_starts_{0} {
        for (std::size_t i = 0; i < text_.size(); ++i) {
            if (text_[i] == '\n') {
                line_starts_.push_back(i + 1);
            }
        }
        out_.name = base_name(file_name);
    }

    ReadResult run() {
        while (pos_ < text_.size()) {
            if (at_newline()) {
                skip_newline();
            } else if (is_alpha(peek())) {
                if (!rule()) {
                    recover();
                }
            } else if (!top_level_line()) {
                recover();
            }
        }
        ReadResult result;
        result.errors = std::move(errors_);
        if (result.errors.empty()) {
            result.file = std::move(out_);
        }
        return result;
    }

  private:
    std::string_view text_;
    std::string file_;
    std::size_t pos_ = 0;
    std::vector<std::size_t> line_starts_;
    std::vector<Error> errors_;
    RuleFile out_;
    unsigned depth_ = 0;

    [[nodiscard]] char peek(std::size_t ahead = 0) const {
        return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
    }
    [[nodiscard]] bool at_end() const { return pos_ >= text_.size(); }
    [[nodiscard]] bool at_newline() const {
        return peek() == '\n' || (peek() == '\r' && peek(1) == '\n');
    }
    [[nodiscard]] bool at_line_end() const { return at_end() || at_newline(); }
    void skip_newline() { pos_ += peek() == '\r' ? 2 : 1; }
    void skip_wsp() {
        while (is_wsp(peek())) {
            ++pos_;
        }
    }

    [[nodiscard]] SourcePos where(std::size_t offset) const {
        auto const next = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
        auto const line = static_cast<std::size_t>(next - line_starts_.begin());
        return SourcePos{file_, static_cast<unsigned>(line),
                         static_cast<unsigned>(offset - line_starts_[line - 1] + 1)};
    }

    bool fail(std::size_t offset, std::string message) {
        errors_.push_back(Error{where(offset), std::move(message)});
        return false;
    }
    bool fail_here() {
        return fail(pos_,
                    at_line_end() ? "unexpected end of line" : "unexpected " + describe(peek()));
    }

    // After an error: skip the rest of this line and every continuation line after it.
    void recover() {
        while (!at_end() && peek() != '\n') {
            ++pos_;
        }
        while (!at_end()) {
            ++pos_; // the '\n'
            if (!is_wsp(peek())) {
                return;
            }
            while (!at_end() && peek() != '\n') {
                ++pos_;
            }
        }
    }

    // A line outside any rule that does not start with a letter: blank, a comment (perhaps an
    // @import), or an error. RFC 5234 §4: rulelist = 1*( rule / (*c-wsp c-nl) ).
    bool top_level_line() {
        skip_wsp();
        if (peek() == ';') {
            if (!comment(/*in_rule=*/false)) {
                return false;
            }
        } else if (!at_line_end()) {
            return fail(pos_, is_alpha(peek()) ? "a rule must start in column 1 (an indented "
                                                 "line continues the rule above it)"
                                               : "expected a rule name");
        }
        if (!at_line_end()) {
            return fail_here();
        }
        if (!at_end()) {
            skip_newline();
        }
        return true;
    }

    // ";" up to the end of the line (any byte but CR and LF: comments may be UTF-8). An @import
    // pragma outside a rule becomes an Import; inside a rule it is an error, not silently lost.
    bool comment(bool in_rule) {
        std::size_t const start = pos_;
        ++pos_;
        skip_wsp();
        constexpr std::string_view kPragma = "@import";
        bool is_pragma = text_.size() - pos_ >= kPragma.size();
        for (std::size_t i = 0; is_pragma && i < kPragma.size(); ++i) {
            is_pragma = lower(text_[pos_ + i]) == kPragma[i];
        }
        if (is_pragma) {
            if (in_rule) {
                return fail(start, "an @import must be on a line of its own, outside a rule");
            }
            pos_ += kPragma.size();
            return import(start);
        }
        while (!at_end() && peek() != '\n' && peek() != '\r') {
            ++pos_;
        }
        return true;
    }

    // "; @import <file> <rule> <rule> ...", positioned after "@import".
    bool import(std::size_t start) {
        if (!at_line_end() && !is_wsp(peek())) {
            return fail(pos_, "expected white space after @import");
        }
        Import imp;
        imp.where = where(start);
        for (bool first = true;; first = false) {
            skip_wsp();
            if (at_line_end() || peek() == '\r') {
                break;
            }
            std::size_t const token_start = pos_;
            while (!at_end() && !is_wsp(peek()) && peek() != '\n' && peek() != '\r') {
                ++pos_;
            }
            std::string_view const token = text_.substr(token_start, pos_ - token_start);
            if (first) {
                bool const ok = std::all_of(token.begin(), token.end(), [](char c) {
                    return is_rulename_char(c) || c == '.' || c == '_';
                });
                if (!ok) {
                    return fail(token_start, "invalid file name in @import");
                }
                imp.file = std::string(token);
                continue;
            }
            if (!is_alpha(token.front()) ||
                !std::all_of(token.begin(), token.end(), is_rulename_char)) {
                return fail(token_start, "invalid rule name in @import");
            }
            imp.names.emplace_back(token);
        }
        if (imp.file.empty()) {
            return fail(pos_, "expected a file name after @import");
        }
        if (imp.names.empty()) {
            return fail(pos_, "expected the names of the imported rules after the file name");
        }
        out_.imports.push_back(std::move(imp));
        return true;
    }

    // RFC 5234 §4 c-wsp = WSP / (c-nl WSP), c-nl = comment / CRLF: white space, comments, and
    // line ends followed by white space (a continuation line). `consumed` says whether any was.
    bool skip_cwsp(bool* consumed = nullptr) {
        std::size_t const start = pos_;
        for (;;) {
            if (is_wsp(peek())) {
                ++pos_;
            } else if (peek() == ';') {
                if (!comment(/*in_rule=*/true)) {
                    return false;
                }
            } else if (at_newline() && is_wsp(peek(peek() == '\r' ? 2 : 1))) {
                skip_newline();
            } else {
                break;
            }
        }
        if (consumed != nullptr) {
            *consumed = pos_ != start;
        }
        return true;
    }

    std::string rulename() {
        std::size_t const start = pos_;
        while (is_rulename_char(peek())) {
            ++pos_;
        }
        return std::string(text_.substr(start, pos_ - start));
    }

    // rule = rulename defined-as elements c-nl; defined-as = *c-wsp ("=" / "=/") *c-wsp
    bool rule() {
        Rule r;
        r.where = where(pos_);
        r.name = rulename();
        if (!skip_cwsp()) {
            return false;
        }
        if (peek() != '=') {
            return fail(pos_, R"(expected "=" or "=/" after the rule name)");
        }
        ++pos_;
        if (peek() == '/') {
            ++pos_;
            r.incremental = true;
        }
        if (!skip_cwsp() || !alternation(r.definition) || !skip_cwsp()) {
            return false;
        }
        if (peek() == ')' || peek() == ']') {
            return fail(pos_, std::string("unmatched '") + peek() + "'");
        }
        if (!at_line_end()) {
            return fail_here();
        }
        if (!at_end()) {
            skip_newline();
        }
        out_.rules.push_back(std::move(r));
        return true;
    }

    // alternation = concatenation *(*c-wsp "/" *c-wsp concatenation)
    bool alternation(Node& out) {
        SourcePos const start = where(pos_);
        std::vector<Node> alternatives(1);
        if (!concatenation(alternatives.back())) {
            return false;
        }
        for (;;) {
            std::size_t const save = pos_;
            if (!skip_cwsp()) {
                return false;
            }
            if (peek() != '/') {
                pos_ = save;
                break;
            }
            ++pos_;
            alternatives.emplace_back();
            if (!skip_cwsp() || !concatenation(alternatives.back())) {
                return false;
            }
        }
        out = joined(NodeKind::Alternation, std::move(alternatives), start);
        return true;
    }

    /// One element as itself; several as a node of `kind` holding them.
    static Node joined(NodeKind kind, std::vector<Node> parts, SourcePos const& start) {
        if (parts.size() == 1) {
            return std::move(parts.front());
        }
        Node node;
        node.kind = kind;
        node.children = std::move(parts);
        node.where = start;
        return node;
    }

    // concatenation = repetition *(1*c-wsp repetition)
    bool concatenation(Node& out) {
        SourcePos const start = where(pos_);
        std::vector<Node> elements(1);
        if (!repetition(elements.back())) {
            return false;
        }
        for (;;) {
            std::size_t const save = pos_;
            bool spaced = false;
            if (!skip_cwsp(&spaced)) {
                return false;
            }
            if (!starts_repetition(peek())) {
                pos_ = save;
                break;
            }
            if (!spaced) {
                return fail(pos_, "expected white space between two elements");
            }
            elements.emplace_back();
            if (!repetition(elements.back())) {
                return false;
            }
        }
        out = joined(NodeKind::Concatenation, std::move(elements), start);
        return true;
    }

    // A decimal count of a repeat; false (with an error) if it does not fit below kUnbounded.
    bool count(unsigned& value) {
        std::uint64_t v = 0;
        std::size_t const start = pos_;
        while (is_digit(peek())) {
            v = v * 10 + static_cast<unsigned>(peek() - '0');
            if (v >= kUnbounded) {
                return fail(start, "repeat count too large");
            }
            ++pos_;
        }
        value = static_cast<unsigned>(v);
        return true;
    }

    // repetition = [repeat] element; repeat = 1*DIGIT / (*DIGIT "*" *DIGIT)
    bool repetition(Node& out) {
        if (!is_digit(peek()) && peek() != '*') {
            return element(out);
        }
        std::size_t const start = pos_;
        Node rep;
        rep.kind = NodeKind::Repetition;
        rep.where = where(start);
        rep.min = 0;
        if (!count(rep.min)) {
            return false;
        }
        rep.max = rep.min;
        if (peek() == '*') {
            ++pos_;
            rep.max = kUnbounded;
            if (is_digit(peek()) && !count(rep.max)) {
                return false;
            }
        }
        if (rep.min > rep.max) {
            return fail(start, "the repeat's minimum is greater than its maximum");
        }
        if (!starts_repetition(peek()) || is_digit(peek()) || peek() == '*') {
            return fail(pos_, "expected an element right after the repeat");
        }
        rep.children.emplace_back();
        if (!element(rep.children.back())) {
            return false;
        }
        out = std::move(rep);
        return true;
    }

    // element = rulename / group / option / char-val / num-val / prose-val
    bool element(Node& out) {
        out = Node{};
        out.where = where(pos_);
        char const c = peek();
        if (is_alpha(c)) {
            out.kind = NodeKind::RuleRef;
            out.name = rulename();
            return true;
        }
        if (c == '(' || c == '[') {
            return group(out, c == '(' ? ')' : ']');
        }
        if (c == '"') {
            return quoted(out, NodeKind::CharVal, '"');
        }
        if (c == '<') {
            return quoted(out, NodeKind::ProseVal, '>');
        }
        if (c == '%') {
            return percent(out);
        }
        return fail(pos_, at_line_end() ? "expected an element"
                                        : "expected an element, found " + describe(c));
    }

    // group = "(" *c-wsp alternation *c-wsp ")"; option = "[" *c-wsp alternation *c-wsp "]"
    bool group(Node& out, char close) {
        if (depth_ >= kMaxNesting) {
            return fail(pos_, "groups and options nested more than " + std::to_string(kMaxNesting) +
                                  " deep");
        }
        out.kind = close == ')' ? NodeKind::Group : NodeKind::Option;
        ++pos_;
        ++depth_;
        out.children.emplace_back();
        bool const ok = skip_cwsp() && alternation(out.children.back()) && skip_cwsp();
        --depth_;
        if (!ok) {
            return false;
        }
        if (peek() != close) {
            return fail(pos_, std::string("expected '") + close + "'");
        }
        ++pos_;
        return true;
    }

    // char-val = DQUOTE *(%x20-21 / %x23-7E) DQUOTE; prose-val = "<" *(%x20-3D / %x3F-7E) ">"
    bool quoted(Node& out, NodeKind kind, char close) {
        std::size_t const open = pos_;
        ++pos_;
        for (;;) {
            if (at_line_end() || peek() == '\r') {
                return fail(open, kind == NodeKind::CharVal ? "unterminated quoted string"
                                                            : "unterminated prose value");
            }
            auto const byte = static_cast<unsigned char>(peek());
            if (peek() == close) {
                break;
            }
            if (byte < 0x20 || byte > 0x7E) {
                return fail(pos_, kind == NodeKind::CharVal
                                      ? "only space and visible ASCII may be quoted"
                                      : "only space and visible ASCII may be in a prose value");
            }
            ++pos_;
        }
        out.kind = kind;
        out.text = std::string(text_.substr(open + 1, pos_ - open - 1));
        ++pos_;
        return true;
    }

    // RFC 7405 char-val %s"..." / %i"...", or num-val = "%" (bin-val / dec-val / hex-val).
    bool percent(Node& out) {
        std::size_t const start = pos_;
        char const kind = lower(peek(1));
        if (kind == 's' || kind == 'i') {
            pos_ += 2;
            if (peek() != '"') {
                return fail(pos_, std::string("expected a quoted string after \"%") + kind + "\"");
            }
            out.case_sensitive = kind == 's';
            out.explicit_insensitive = kind == 'i';
            return quoted(out, NodeKind::CharVal, '"');
        }
        if (kind != 'b' && kind != 'd' && kind != 'x') {
            return fail(pos_ + 1, "expected b, d, x, s or i after '%'");
        }
        pos_ += 2;
        out.base = kind;
        out.values.emplace_back();
        if (!number(kind, out.values.back())) {
            return false;
        }
        out.kind = NodeKind::NumSeq;
        if (peek() == '-') {
            ++pos_;
            out.kind = NodeKind::NumRange;
            out.values.emplace_back();
            if (!number(kind, out.values.back())) {
                return false;
            }
            if (out.values[0] > out.values[1]) {
                return fail(start, "the range's start is greater than its end");
            }
            return true;
        }
        while (peek() == '.') {
            ++pos_;
            out.values.emplace_back();
            if (!number(kind, out.values.back())) {
                return false;
            }
        }
        return true;
    }

    bool number(char base, std::uint32_t& value) {
        std::size_t const start = pos_;
        std::uint64_t v = 0;
        std::uint64_t const radix = base == 'b' ? 2 : base == 'd' ? 10 : 16;
        for (int d = digit_value(peek(), base); d >= 0; d = digit_value(peek(), base)) {
            v = v * radix + static_cast<unsigned>(d);
            if (v > 0xFFFFFFFFU) {
                return fail(start, "numeric value too large");
            }
            ++pos_;
        }
        if (pos_ == start) {
            return fail(pos_, base == 'b'   ? "expected a binary digit"
                              : base == 'd' ? "expected a decimal digit"
                                            : "expected a hexadecimal digit");
        }
        value = static_cast<std::uint32_t>(v);
        return true;
    }
};

} // namespace

ReadResult read(std::string_view text, std::string_view file_name) {
    return Reader(text, file_name).run();
}

} // namespace smtpd::abnf

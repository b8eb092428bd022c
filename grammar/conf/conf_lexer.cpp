// The smtpd.conf lexer (see conf_lexer.hpp), a transcription of OpenSMTPD's yylex/lgetc (6.8 and
// 7.x alike): a quoted string may run over newlines, which it drops; a word starts with a letter,
// a digit, ':' or '_' (any other byte, '/' and '~' included, is a one-byte token the grammar
// refuses); digits ended by a blank, ')', ',', '/', '}', '=' or the end are a Number. One
// deliberate difference: bytes that are neither printable ASCII nor blanks are errors outside
// quoted strings instead of one-byte tokens. Depends on: conf_lexer.hpp and the standard library.
#include "conf_lexer.hpp"

#include <array>
#include <cstdio>
#include <ranges>
#include <string_view>

namespace smtpd::conf {

namespace {

bool is_ascii_alnum(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_ascii_punct(int c) {
    return c > 0x20 && c < 0x7f && !is_ascii_alnum(c);
}

std::string byte_message(int c) {
    std::array<char, 40> buf{};
    (void)std::snprintf(buf.data(), buf.size(), "unexpected byte 0x%02X", static_cast<unsigned>(c));
    return buf.data();
}

// OpenSMTPD's allowed_to_end_number.
bool ends_number(int c) {
    return c == -1 || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
           c == ')' || c == ',' || c == '/' || c == '}' || c == '=';
}

} // namespace

bool is_word_byte(int c, bool first) {
    if (is_ascii_alnum(c)) {
        return true;
    }
    if (first) {
        return c == ':' || c == '_';
    }
    // OpenSMTPD's allowed_in_string: quotes inside a word are part of it.
    constexpr std::string_view kExcluded = "(){}<>!=#,";
    return is_ascii_punct(c) && kExcluded.find(static_cast<char>(c)) == std::string_view::npos;
}

Lexer::Char Lexer::raw_get() {
    if (!pushback_.empty()) {
        Char ch = pushback_.back();
        pushback_.pop_back();
        return ch;
    }
    Char ch{-1, line_, column_, pos_, false, false};
    if (pos_ >= text_.size()) {
        return ch;
    }
    ch.c = static_cast<unsigned char>(text_[pos_]);
    ++pos_;
    if (ch.c == '\n') {
        ++line_;
        column_ = 1;
    } else {
        ++column_;
    }
    return ch;
}

// OpenSMTPD's lgetc(0): backslash-newline vanishes, a backslash before any other byte yields it.
Lexer::Char Lexer::get() {
    Char ch = raw_get();
    while (ch.c == '\\' && !ch.literal) {
        Char next = raw_get();
        if (next.c == '\n') {
            ch = raw_get();
            continue;
        }
        if (next.c == -1) {
            return next;
        }
        ch.c = next.c;
        ch.literal = true;
    }
    return ch;
}

Token Lexer::make(Token::Kind kind, std::string text, Char const& at) const {
    return Token{kind, std::move(text), at.line, at.column, at.offset};
}

Token Lexer::read_quoted(Char open) {
    std::string value;
    for (;;) {
        Char const ch = raw_get();
        if (ch.c == -1) {
            return make(Token::Kind::Error, "unterminated quoted string", open);
        }
        if (ch.c == '\n') {
            continue; // OpenSMTPD drops it: the string goes on on the next line
        }
        if (ch.c == '\\') {
            Char const next = raw_get();
            if (next.c == open.c || next.c == ' ' || next.c == '\t') {
                value.push_back(static_cast<char>(next.c));
            } else if (next.c != '\n') {
                unget(next);
                value.push_back('\\');
            }
        } else if (ch.c == open.c) {
            return make(Token::Kind::String, std::move(value), open);
        } else if (ch.c == 0) {
            return make(Token::Kind::Error, "NUL byte in quoted string", ch);
        } else {
            value.push_back(static_cast<char>(ch.c));
        }
        if (value.size() > kMaxTokenLength) {
            return make(Token::Kind::Error, "string too long", open);
        }
    }
}

std::optional<Token> Lexer::read_number(Char first) {
    std::vector<Char> read{first};
    std::string value(1, static_cast<char>(first.c));
    for (;;) {
        Char const ch = get();
        if (ch.c < '0' || ch.c > '9') {
            unget(ch);
            break;
        }
        read.push_back(ch);
        value.push_back(static_cast<char>(ch.c));
        if (value.size() > kMaxTokenLength) {
            return make(Token::Kind::Error, "string too long", first);
        }
    }
    Char const after = get();
    unget(after);
    if (value != "-" && ends_number(after.c)) {
        return make(Token::Kind::Number, std::move(value), first);
    }
    for (auto it = read.rbegin(); it != read.rend() - 1; ++it) {
        unget(*it); // not a number: read again as a word, or a '-' token
    }
    return std::nullopt;
}

Token Lexer::read_word(Char first) {
    std::string value(1, static_cast<char>(first.c));
    for (;;) {
        Char const ch = get();
        if (!is_word_byte(ch.c, false)) {
            unget(ch);
            return make(Token::Kind::Word, std::move(value), first);
        }
        value.push_back(static_cast<char>(ch.c));
        if (value.size() > kMaxTokenLength) {
            return make(Token::Kind::Error, "string too long", first);
        }
    }
}

std::optional<Token> Lexer::expand_macro(Char dollar, MacroLookup const& macros) {
    std::string name;
    for (;;) {
        Char const ch = get();
        if (!is_ascii_alnum(ch.c) && ch.c != '_') {
            unget(ch);
            break;
        }
        name.push_back(static_cast<char>(ch.c));
        if (name.size() > kMaxTokenLength) {
            return make(Token::Kind::Error, "string too long", dollar);
        }
    }
    if (name.empty()) {
        return make(Token::Kind::Error, "expected a macro name after \"$\"", dollar);
    }
    std::optional<std::string> value = macros ? macros(name) : std::nullopt;
    if (!value) {
        return make(Token::Kind::Error, "macro \"" + name + "\" is not defined", dollar);
    }
    // Pushed back to front so that the value is read first; marked so it is not expanded again.
    for (char const byte : std::views::reverse(*value)) {
        Char ch = dollar;
        ch.c = static_cast<unsigned char>(byte);
        ch.expanded = true;
        unget(ch);
    }
    return std::nullopt;
}

Token Lexer::next(MacroLookup const& macros) {
    for (;;) {
        Char ch = get();
        // A newline inside a macro value separates words; it never ends a statement.
        while (ch.c == ' ' || ch.c == '\t' || (ch.expanded && ch.c == '\n')) {
            ch = get();
        }
        if (ch.c == '#') {
            while (ch.c != '\n' && ch.c != -1) {
                ch = get();
            }
            if (ch.expanded) {
                continue;
            }
        }
        if (ch.c == '$' && !ch.expanded && !ch.literal) {
            if (auto error = expand_macro(ch, macros)) {
                return *error;
            }
            continue;
        }
        if (ch.c == -1) {
            return make(Token::Kind::End, "", ch);
        }
        if (ch.c == '\n') {
            return make(Token::Kind::Newline, "", ch);
        }
        if ((ch.c == '"' || ch.c == '\'') && !ch.literal) {
            return read_quoted(ch);
        }
        if ((ch.c == '-' || (ch.c >= '0' && ch.c <= '9')) && !ch.literal) {
            if (auto number = read_number(ch)) {
                return *number;
            }
        }
        if (is_word_byte(ch.c, true)) {
            return read_word(ch);
        }
        if (is_ascii_punct(ch.c)) {
            return make(Token::Kind::Punct, std::string(1, static_cast<char>(ch.c)), ch);
        }
        return make(Token::Kind::Error, byte_message(ch.c), ch);
    }
}

void Lexer::skip_line() {
    for (;;) {
        Char const ch = get();
        if (ch.c == -1 || (ch.c == '\n' && !ch.expanded)) {
            return;
        }
    }
}

void Lexer::resume_at(std::size_t offset, unsigned line) {
    pushback_.clear();
    pos_ = offset < text_.size() ? offset : text_.size();
    line_ = line;
    column_ = 1;
}

} // namespace smtpd::conf

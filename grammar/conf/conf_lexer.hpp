// The smtpd.conf lexer: bytes to tokens with exact 1-based line:column, as OpenSMTPD's yylex does
// it: '#' comments, backslash-newline continuations, "double" and 'single' quoted strings, bare
// words, numbers, single-character punctuation, and $macro expansion outside quotes (the value is
// re-read as input, without further expansion: a macro holding digits is a number there).
// Invariant: never throws, never reads out of bounds, and every token it returns has line >= 1 and
// column >= 1. Columns count bytes (a tab is one). Depends on: the standard library only.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::conf {

/// The longest string or word, as OpenSMTPD's lexer buffer (8096 bytes).
inline constexpr std::size_t kMaxTokenLength = 8096;

/// One lexical token. Positions of tokens produced by a macro expansion are those of its '$'.
struct Token {
    /// Number: OpenSMTPD's NUMBER, digits with an optional leading '-', accepted only where
    /// parse.y takes a NUMBER (a port, a size, a limit); never a string.
    enum class Kind : unsigned char { Word, String, Number, Punct, Newline, End, Error };
    Kind kind = Kind::End;
    std::string text; ///< Word/String/Number: the value; Punct: the character; Error: the message
    unsigned line = 1;
    unsigned column = 1;
    std::size_t offset = 0; ///< byte offset in the source (of the '$' for expanded tokens)
};

/// Returns a macro's value, or nullopt when it is not defined.
using MacroLookup = std::function<std::optional<std::string>(std::string_view name)>;

/// Pull lexer over one configuration text; the text must outlive it.
class Lexer {
  public:
    explicit Lexer(std::string_view text) : text_(text) {}

    /// The next token. After an Error token call skip_line() (OpenSMTPD's findeol).
    [[nodiscard]] Token next(MacroLookup const& macros);
    /// Drops pending expansion and input up to and including the next newline.
    void skip_line();
    /// Continues lexing at `offset`, which starts physical line `line`.
    void resume_at(std::size_t offset, unsigned line);

  private:
    struct Char {
        int c = -1; ///< -1 at end of input
        unsigned line = 1;
        unsigned column = 1;
        std::size_t offset = 0;
        bool expanded = false; ///< comes from a macro value
        bool literal = false;  ///< was escaped by a backslash
    };

    Char raw_get();
    Char get();
    void unget(Char ch) { pushback_.push_back(ch); }
    Token make(Token::Kind kind, std::string text, Char const& at) const;
    Token read_quoted(Char open);
    Token read_word(Char first);
    std::optional<Token> read_number(Char first);
    std::optional<Token> expand_macro(Char dollar, MacroLookup const& macros);

    std::string_view text_;
    std::size_t pos_ = 0;
    unsigned line_ = 1;
    unsigned column_ = 1;
    std::vector<Char> pushback_; ///< read back to front
};

/// True for bytes that may start (`first`) or continue a bare word: OpenSMTPD's alnum, ':' or
/// '_' first, then its allowed_in_string.
[[nodiscard]] bool is_word_byte(int c, bool first);

} // namespace smtpd::conf

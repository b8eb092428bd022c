// parse_config / load_config: lexes smtpd.conf one statement at a time (a statement ends at a
// newline outside braces), expanding macros defined so far, parses it with the X3 grammar of
// conf_def.hpp (instantiated here, once) and applies it through ConfigBuilder. `include "file"`
// is handled here, as OpenSMTPD's pushfile: the file's statements come next, its errors carry its
// own name and lines. After an error the parser goes on with the next line, like OpenSMTPD's
// "grammar error '\n'" rule, and reports every error. Never throws: x3::expectation_failure is
// caught here and becomes a ConfError.
// Depends on: conf_def.hpp, conf_build.hpp, conf_lexer.hpp and the standard library.
#include "conf.hpp"

#include "conf_build.hpp"
#include "conf_def.hpp"
#include "conf_lexer.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

namespace smtpd::conf::rules {
BOOST_SPIRIT_INSTANTIATE(statement_type, TokenIt, x3::unused_type)
} // namespace smtpd::conf::rules

namespace smtpd::conf {

std::string ConfError::to_string() const {
    return where.file + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) +
           ": " + message;
}

namespace {

// Like a compiler's error limit; also bounds the work on pathological input.
constexpr std::size_t kMaxErrors = 100;
// Files open at once through include (OpenSMTPD has no limit; this stops an include cycle).
constexpr std::size_t kMaxIncludeDepth = 16;

// OpenSMTPD directives that this implementation does not have yet.
constexpr auto kUnsupported = std::to_array<std::string_view>({"filter", "proc"});

// A token named in a message. It is never a Newline or the End: every statement rule ends with
// `eol`, which accepts either, so an expectation never fails at one with kEndOfLine; the first
// token of a statement is neither (collect() skips blank lines); and the "after" token of
// expectation_error() skips newlines and comes before the last token, the only possible End.
std::string describe(Token const& t) {
    return quote_for_message(t.text);
}

/// One statement's tokens and how to go on after an error in it.
class StatementParser {
  public:
    StatementParser(std::vector<Token> const& tokens, ConfigBuilder& builder)
        : tokens_(tokens), builder_(builder) {}

    /// Parses and applies the statement. On a syntax error, returns the index of the token after
    /// which lexing should resume (a newline inside the statement), if any.
    std::optional<std::size_t> run() {
        if (assigns_to_keyword()) {
            builder_.error(tokens_.front(), "macro name " +
                                                quote_for_message(tokens_.front().text) +
                                                " is a keyword");
            return resume_point(0);
        }
        auto it = tokens_.begin();
        rules::Statement statement;
        try {
            if (!boost::spirit::x3::parse(it, tokens_.end(), rules::statement, statement)) {
                no_directive();
                return resume_point(0);
            }
        } catch (boost::spirit::x3::expectation_failure<rules::TokenIt> const& e) {
            auto const index = static_cast<std::size_t>(e.where() - tokens_.begin());
            expectation_error(std::min(index, tokens_.size() - 1), e.which());
            return resume_point(index);
        }
        if (it != tokens_.end()) {
            builder_.error(*it, "unexpected " + describe(*it));
            return resume_point(static_cast<std::size_t>(it - tokens_.begin()));
        }
        builder_.apply(statement, tokens_.front());
        return std::nullopt;
    }

  private:
    // "listen = x": parse.y would see the LISTEN token; say what was meant.
    [[nodiscard]] bool assigns_to_keyword() const {
        return tokens_.size() > 1 && tokens_[0].kind == Token::Kind::Word &&
               rules::is_keyword(tokens_[0].text) && tokens_[1].kind == Token::Kind::Punct &&
               tokens_[1].text == "=";
    }

    void no_directive() {
        Token const& first = tokens_.front();
        Token const& second = tokens_[std::min<std::size_t>(1, tokens_.size() - 1)];
        if (first.kind == Token::Kind::String) {
            builder_.error(second, "expected \"=\" after " + describe(first));
        } else if (first.kind != Token::Kind::Word) {
            builder_.error(first, "unexpected " + describe(first));
        } else if (std::find(kUnsupported.begin(), kUnsupported.end(), first.text) !=
                   kUnsupported.end()) {
            builder_.error(first, "directive " + describe(first) + " is not implemented yet");
        } else {
            builder_.error(first, "unknown directive " + describe(first));
        }
    }

    void expectation_error(std::size_t index, std::string const& which) {
        Token const& at = tokens_[index];
        if (at.kind == Token::Kind::End) {
            if (auto const brace = unclosed_brace(index)) {
                builder_.error(tokens_[*brace], "unterminated \"{\"");
                return;
            }
        }
        std::string after;
        for (std::size_t i = index; i-- > 0;) {
            if (tokens_[i].kind != Token::Kind::Newline) {
                after = " after " + describe(tokens_[i]);
                break;
            }
        }
        if (which == rules::kEndOfLine) {
            builder_.error(at, "unexpected " + describe(at) + after);
        } else {
            builder_.error(at, "expected " + which + after);
        }
    }

    // The tokens before an expectation failure at the End were all accepted by the grammar, which
    // accepts one "{" (a table body's) and no "}" after it (the "}" would have closed the body,
    // and the statement would then end at the End): the last "{" among them is the unclosed one.
    [[nodiscard]] std::optional<std::size_t> unclosed_brace(std::size_t end) const {
        for (std::size_t i = end; i-- > 0;) {
            if (tokens_[i].kind == Token::Kind::Punct && tokens_[i].text == "{") {
                return i;
            }
        }
        return std::nullopt;
    }

    // Resume on the error's own line if it starts there, else on the next line, provided that
    // line is still inside this statement (a brace block); otherwise after the whole statement.
    [[nodiscard]] std::optional<std::size_t> resume_point(std::size_t index) const {
        std::size_t const last = tokens_.size() - 1;
        // index <= tokens_.size(): it comes from an iterator into tokens_.
        if (index > 0 && tokens_[index - 1].kind == Token::Kind::Newline) {
            return index - 1;
        }
        for (std::size_t i = index; i < last; ++i) {
            if (tokens_[i].kind == Token::Kind::Newline) {
                return i;
            }
        }
        return std::nullopt;
    }

    std::vector<Token> const& tokens_;
    ConfigBuilder& builder_;
};

enum class Collected : unsigned char { Statement, LexError, Done };

// Reads one statement: tokens up to a newline outside braces (included) or the end of the file.
Collected collect(Lexer& lexer, ConfigBuilder& builder, std::vector<Token>& tokens) {
    MacroLookup const macros = [&builder](std::string_view name) { return builder.macro(name); };
    tokens.clear();
    std::size_t depth = 0;
    for (;;) {
        Token token = lexer.next(macros);
        switch (token.kind) {
        case Token::Kind::Error:
            builder.error(token, token.text);
            lexer.skip_line();
            return Collected::LexError;
        case Token::Kind::End:
            if (tokens.empty()) {
                return Collected::Done;
            }
            tokens.push_back(std::move(token));
            return Collected::Statement;
        case Token::Kind::Newline:
            if (tokens.empty()) {
                continue; // a blank or comment line
            }
            tokens.push_back(std::move(token));
            if (depth == 0) {
                return Collected::Statement;
            }
            continue;
        case Token::Kind::Word:
        case Token::Kind::Punct:
            // Inside braces a keyword or another '{' is always an error: end the statement there
            // so that recovery (and the work done) does not run to the end of the file.
            if (depth > 0 && (token.text == "{" ||
                              (token.kind == Token::Kind::Word && rules::is_keyword(token.text)))) {
                tokens.push_back(std::move(token));
                return Collected::Statement;
            }
            if (token.kind == Token::Kind::Punct && token.text == "{") {
                ++depth;
            } else if (token.kind == Token::Kind::Punct && token.text == "}" && depth > 0) {
                --depth;
            }
            break;
        default:
            break;
        }
        tokens.push_back(std::move(token));
    }
}

/// The files being read: the configuration, then each file an include opened, innermost last.
class Sources {
  public:
    Sources(std::string_view text, std::string_view name) { push(std::string(text), name); }

    [[nodiscard]] Lexer& lexer() { return open_.back()->lexer; }
    [[nodiscard]] std::string const& name() const { return open_.back()->name; }
    [[nodiscard]] std::size_t depth() const { return open_.size(); }
    void push(std::string text, std::string_view name) {
        open_.push_back(std::make_unique<Source>(std::move(text), std::string(name)));
    }
    /// Closes the innermost file; false when it was the configuration itself.
    bool pop() {
        if (open_.size() == 1) {
            return false;
        }
        open_.pop_back();
        return true;
    }

  private:
    struct Source {
        Source(std::string t, std::string n) : text(std::move(t)), name(std::move(n)) {}
        std::string text;
        std::string name;
        Lexer lexer{text};
    };
    std::vector<std::unique_ptr<Source>> open_; // unique_ptr: each Lexer views its own text
};

/// `include STRING`, parse.y's include rule: true when the statement is one (handled here).
bool run_include(std::vector<Token> const& tokens, Sources& sources, ConfigBuilder& builder,
                 FileReader const& reader) {
    if (tokens.front().kind != Token::Kind::Word || tokens.front().text != "include") {
        return false;
    }
    Token const& file = tokens.at(1);
    bool const is_string = file.kind == Token::Kind::String ||
                           (file.kind == Token::Kind::Word && !rules::is_keyword(file.text));
    if (!is_string) {
        builder.error(file, "expected a file name after \"include\"");
        return true;
    }
    if (tokens.size() > 3 || (tokens.size() == 3 && tokens[2].kind != Token::Kind::Newline &&
                              tokens[2].kind != Token::Kind::End)) {
        builder.error(tokens[2], "unexpected " + describe(tokens[2]) + " after " + describe(file));
        return true;
    }
    if (sources.depth() >= kMaxIncludeDepth) {
        builder.error(tokens.front(),
                      "include nested too deeply (" + std::to_string(kMaxIncludeDepth) + " files)");
        return true;
    }
    FileText read = reader(file.text);
    if (!read.text) {
        builder.error(file, "failed to include file " + describe(file) + ": " + read.error);
        return true;
    }
    sources.push(std::move(*read.text), file.text);
    builder.set_file(file.text);
    return true;
}

} // namespace

FileText read_config_file(std::string const& path) {
    constexpr std::size_t kMaxFile = std::size_t{64} << 20;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        int const saved = errno;
        return {std::nullopt, std::string("cannot open file: ") + std::strerror(saved)};
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        return {std::nullopt, "not a regular file"};
    }
    // istream::read turns a read error (EISDIR for a directory) into badbit; reading through
    // istreambuf_iterator would let basic_filebuf's std::ios_base::failure escape instead.
    std::string text;
    std::array<char, 4096> chunk{};
    while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
        text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
        if (text.size() > kMaxFile) {
            return {std::nullopt, "file too large"};
        }
    }
    if (in.bad()) {
        return {std::nullopt, "cannot read file"};
    }
    return {std::move(text), {}};
}

ConfResult parse_config(std::string_view text, std::string_view file,
                        std::map<std::string, std::string> const& defines,
                        FileReader const& reader) {
    ConfigBuilder builder(file, defines);
    Sources sources(text, file);
    std::vector<Token> tokens;
    for (;;) {
        Collected const got = collect(sources.lexer(), builder, tokens);
        if (got == Collected::Done) {
            if (!sources.pop()) {
                break;
            }
            builder.set_file(sources.name());
            continue;
        }
        if (builder.error_count() >= kMaxErrors) {
            builder.give_up();
            break;
        }
        if (got == Collected::LexError || run_include(tokens, sources, builder, reader)) {
            continue;
        }
        if (auto const resume = StatementParser(tokens, builder).run()) {
            Token const& newline = tokens[*resume];
            sources.lexer().resume_at(newline.offset + 1, newline.line + 1);
        }
    }
    return std::move(builder).finish();
}

ConfResult load_config(std::string const& path, std::map<std::string, std::string> const& defines) {
    FileText read = read_config_file(path);
    if (!read.text) {
        ConfResult result;
        result.errors.push_back(ConfError{Location{path, 0, 0}, read.error});
        return result;
    }
    return parse_config(*read.text, path, defines);
}

} // namespace smtpd::conf

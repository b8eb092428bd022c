// expand_format / check_format: smtpd.conf(5) FORMAT SPECIFIERS, after OpenSMTPD's mda_variables.c:
// %{name[slice]:mod|mod}, slices with inclusive bounds as OpenSMTPD's; "%%" is '%', any other '%'
// not before '{' is an error; a leading "~" (alone or before '/') is %{user.directory}. Refusal
// rule (exact): a value other than user.directory that contains '/' or a control byte, or starts
// with '.', is an error, and so is an empty value that leaves a whole path component empty;
// user.directory must be an absolute path. Without "raw", other values get OpenSMTPD's escaping:
// each of !#$%&'*?^`{|}~ becomes ':'. Checked after modifiers and slicing, on what is inserted.
// Depends on: format.hpp and the standard library.
#include "format.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

namespace smtpd::conf {

namespace {

constexpr std::size_t kExpandBuffer = 1024; // OpenSMTPD's EXPAND_BUFFER: result and slice bounds
constexpr std::size_t kMaxToken = 128;      // OpenSMTPD's MAXTOKENLEN: text inside %{}
constexpr std::string_view kEscaped = "!#$%&'*?^`{|}~";
constexpr std::string_view kDirectory = "user.directory";
constexpr auto kVariables = std::to_array<std::string_view>(
    {"sender", "sender.user", "sender.domain", "rcpt", "rcpt.user", "rcpt.domain", "dest",
     "dest.user", "dest.domain", "user.username", "user.directory"});
constexpr auto kModifiers =
    std::to_array<std::string_view>({"lowercase", "uppercase", "strip", "raw"});

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

template <std::size_t N>
bool known(std::array<std::string_view, N> const& set, std::string_view s) {
    return std::find(set.begin(), set.end(), s) != set.end();
}

// strtonum(s, -EXPAND_BUFFER, EXPAND_BUFFER)
std::optional<long> slice_bound(std::string_view s) {
    std::size_t i = (!s.empty() && s[0] == '-') ? 1 : 0;
    if (i == s.size() || s.size() - i > 4) {
        return std::nullopt;
    }
    long n = 0;
    for (; i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9') {
            return std::nullopt;
        }
        n = n * 10 + (s[i] - '0');
    }
    n = s[0] == '-' ? -n : n;
    auto const limit = static_cast<long>(kExpandBuffer);
    return (n < -limit || n > limit) ? std::nullopt : std::optional<long>(n);
}

struct Spec {
    std::string name;
    bool sliced = false;
    long begin = 0;
    long end = static_cast<long>(kExpandBuffer);
    std::vector<std::string> modifiers;
};

class Expander {
  public:
    Expander(std::string_view format, FormatLookup const* lookup,
             FormatQuote const* quote = nullptr)
        : format_(format), lookup_(lookup), quote_(quote) {}

    std::variant<std::string, FormatError> run() {
        std::size_t i = 0;
        if (!format_.empty() && format_[0] == '~') {
            if (format_.size() > 1 && format_[1] != '/') {
                return FormatError{0, R"("~user" is not supported; use "~/")"};
            }
            Spec home;
            home.name = kDirectory;
            if (auto e = insert(home, 0)) {
                return *e;
            }
            i = 1;
        }
        while (i < format_.size()) {
            if (format_[i] != '%') {
                out_ += format_[i++];
                continue;
            }
            if (i + 1 < format_.size() && format_[i + 1] == '%') {
                out_ += '%';
                i += 2;
                continue;
            }
            if (i + 1 >= format_.size() || format_[i + 1] != '{') {
                return FormatError{i, R"("%" must be followed by "{" or "%")"};
            }
            auto const close = format_.find('}', i + 2);
            if (close == std::string_view::npos) {
                return FormatError{i, "unterminated \"%{\""};
            }
            auto spec = parse_spec(format_.substr(i + 2, close - i - 2), i);
            if (auto const* e = std::get_if<FormatError>(&spec)) {
                return *e;
            }
            if (auto e = insert(std::get<Spec>(spec), i)) {
                return *e;
            }
            i = close + 1;
        }
        if (out_.size() > kExpandBuffer) {
            return FormatError{0, "expansion longer than 1024 bytes"};
        }
        for (auto const& [at, offset] : empty_) {
            std::size_t from = 0;
            if (at > 0) {
                auto const slash = out_.rfind('/', at - 1);
                from = slash == std::string::npos ? 0 : slash + 1;
            }
            auto const to = out_.find('/', at);
            if ((to == std::string::npos ? out_.size() : to) == from) {
                return FormatError{offset, "empty value would make an empty path component"};
            }
        }
        return std::move(out_);
    }

  private:
    static std::variant<Spec, FormatError> parse_spec(std::string_view token, std::size_t at) {
        if (token.size() >= kMaxToken) {
            return FormatError{at, "format specifier too long"};
        }
        Spec spec;
        std::string_view mods;
        bool has_mods = false;
        auto const lb = token.find('[');
        auto const rb = token.find(']');
        if (lb != std::string_view::npos || rb != std::string_view::npos) {
            if (lb == std::string_view::npos || rb == std::string_view::npos || rb < lb + 2) {
                return FormatError{at, "malformed slice"};
            }
            auto const rest = token.substr(rb + 1);
            if (!rest.empty() && rest[0] != ':') {
                return FormatError{at, "unexpected text after slice"};
            }
            has_mods = !rest.empty();
            mods = has_mods ? rest.substr(1) : rest;
            spec.name = lower(token.substr(0, lb));
            spec.sliced = true;
            auto const content = token.substr(lb + 1, rb - lb - 1);
            auto const colon = content.find(':');
            std::optional<long> b = 0;
            std::optional<long> e = spec.end;
            if (colon == std::string_view::npos) {
                b = e = slice_bound(content);
            } else {
                if (colon > 0) {
                    b = slice_bound(content.substr(0, colon));
                }
                if (colon + 1 < content.size()) {
                    e = slice_bound(content.substr(colon + 1));
                }
            }
            if (!b || !e) {
                return FormatError{at, "malformed slice"};
            }
            spec.begin = *b;
            spec.end = *e;
        } else {
            auto const colon = token.find(':');
            has_mods = colon != std::string_view::npos;
            spec.name = lower(token.substr(0, colon));
            mods = has_mods ? token.substr(colon + 1) : std::string_view{};
        }
        if (!known(kVariables, spec.name)) {
            return FormatError{at, "unknown variable \"" + spec.name + "\""};
        }
        while (has_mods) {
            auto const bar = mods.find('|');
            auto const mod = lower(mods.substr(0, bar));
            if (!known(kModifiers, mod)) {
                return FormatError{at, "unknown modifier \"" + mod + "\""};
            }
            spec.modifiers.push_back(mod);
            has_mods = bar != std::string_view::npos;
            mods = has_mods ? mods.substr(bar + 1) : std::string_view{};
        }
        return spec;
    }

    static void modify(std::string& value, std::string const& mod) {
        if (mod == "lowercase" || mod == "uppercase") {
            for (char& c : value) {
                auto const u = static_cast<unsigned char>(c);
                c = static_cast<char>(mod == "lowercase" ? std::tolower(u) : std::toupper(u));
            }
        } else if (mod == "strip") {
            auto const plus = value.find('+');
            if (plus != std::string::npos) {
                auto const at = value.find('@', plus);
                value.erase(plus, at == std::string::npos ? std::string::npos : at - plus);
            }
        }
    }

    std::optional<FormatError> insert(Spec const& spec, std::size_t at) {
        if (lookup_ == nullptr) {
            return std::nullopt; // check_format: syntax only
        }
        auto found = (*lookup_) ? (*lookup_)(spec.name) : std::nullopt;
        if (!found) {
            return FormatError{at, "variable \"" + spec.name + "\" has no value"};
        }
        std::string value = std::move(*found);
        bool raw = false;
        for (auto const& mod : spec.modifiers) {
            raw = raw || mod == "raw";
            modify(value, mod);
        }
        bool const directory = spec.name == kDirectory;
        if (!raw && !directory) {
            std::replace_if(
                value.begin(), value.end(),
                [](char c) { return kEscaped.find(c) != std::string_view::npos; }, ':');
        }
        if (spec.sliced && !value.empty()) {
            auto const len = static_cast<long>(value.size());
            long b = spec.begin;
            long e = spec.end;
            if (b >= len) {
                return FormatError{at, "slice starts past the end of \"" + spec.name + "\""};
            }
            e = e >= len ? len - 1 : e;
            b = b < 0 ? b + len : b;
            e = e < 0 ? e + len - 1 : e;
            if (b < 0 || e < 0 || e < b) {
                return FormatError{at, "slice out of range for \"" + spec.name + "\""};
            }
            value = value.substr(static_cast<std::size_t>(b), static_cast<std::size_t>(e - b + 1));
        }
        if (quote_ != nullptr) {
            // A command: the value is one quoted word, whatever its bytes (bar control ones).
            if (auto e = refuse_control(spec.name, value, at)) {
                return e;
            }
            out_ += (*quote_)(value);
            return std::nullopt;
        }
        if (auto e = refuse(spec.name, value, at)) {
            return e;
        }
        if (value.empty()) {
            empty_.emplace_back(out_.size(), at);
        }
        out_ += value;
        return std::nullopt;
    }

    // The CVE-2020-7247 class: an address must never choose where in the file system we write.
    static std::optional<FormatError> refuse_control(std::string const& name,
                                                     std::string const& value, std::size_t at) {
        bool const control = std::any_of(value.begin(), value.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
        });
        if (control) {
            return FormatError{at, "value of \"" + name + "\" contains a control character"};
        }
        return std::nullopt;
    }

    static std::optional<FormatError> refuse(std::string const& name, std::string const& value,
                                             std::size_t at) {
        if (auto e = refuse_control(name, value, at)) {
            return e;
        }
        if (name == kDirectory) {
            if (value.empty() || value[0] != '/') {
                return FormatError{at, "value of \"user.directory\" is not an absolute path"};
            }
            return std::nullopt;
        }
        if (value.find('/') != std::string::npos) {
            return FormatError{at, "value of \"" + name + R"(" contains "/")"};
        }
        if (!value.empty() && value[0] == '.') {
            return FormatError{at, "value of \"" + name + R"(" starts with ".")"};
        }
        return std::nullopt;
    }

    std::string_view format_;
    FormatLookup const* lookup_;
    FormatQuote const* quote_;
    std::string out_;
    std::vector<std::pair<std::size_t, std::size_t>> empty_; ///< output position, spec offset
};

} // namespace

std::variant<std::string, FormatError> expand_format(std::string_view format,
                                                     FormatLookup const& lookup) {
    return Expander(format, &lookup).run();
}

std::variant<std::string, FormatError>
expand_command(std::string_view format, FormatLookup const& lookup, FormatQuote const& quote) {
    return Expander(format, &lookup, &quote).run();
}

std::optional<FormatError> check_format(std::string_view format) {
    auto result = Expander(format, nullptr).run();
    if (auto* e = std::get_if<FormatError>(&result)) {
        return std::move(*e);
    }
    return std::nullopt;
}

} // namespace smtpd::conf

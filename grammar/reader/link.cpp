// The ABNF linker: RuleFiles -> one Grammar. Each file is its own namespace of case-insensitive
// rule names; a file sees another's rules only through "; @import"; "=/" extends a local rule
// defined above it or an imported one (RFC 5234 §3.3), in the order the files are given, and
// its references resolve in the extending file. Invariant: a Grammar is returned only when there
// are no errors, and then every RuleRef::name in it is the Key of a rule in Grammar::rules.
// Also load() (read + link), make_key, Grammar::resolve/find and Error::to_string.
// Depends on: reader/abnf.hpp and the standard library only.
#include "reader/abnf.hpp"

#include <cstddef>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smtpd::abnf {
namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

std::string at(SourcePos const& pos) {
    return std::to_string(pos.line) + ":" + std::to_string(pos.column);
}

/// An "=/" waiting to be merged into its target's definition.
struct Extension {
    Key target;
    std::string file; ///< the extending file, whose scope its references resolve in
    Node definition;
};

class Linker {
  public:
    explicit Linker(std::vector<RuleFile> const& files) : files_(files) {}

    LinkResult run() {
        collect_definitions();
        collect_imports();
        std::vector<Extension> extensions = collect_extensions();
        for (auto& [key, rule] : grammar_.rules) {
            resolve(rule.definition, rule.file);
        }
        for (Extension& ext : extensions) {
            resolve(ext.definition, ext.file);
        }
        for (Extension& ext : extensions) {
            merge(grammar_.rules.at(ext.target).definition, std::move(ext.definition));
        }
        LinkResult result;
        result.errors = std::move(errors_);
        if (result.errors.empty()) {
            result.grammar = std::move(grammar_);
        }
        return result;
    }

  private:
    std::vector<RuleFile> const& files_;
    Grammar grammar_;
    std::vector<Error> errors_;

    void error(SourcePos const& where, std::string message) {
        errors_.push_back(Error{where, std::move(message)});
    }

    void collect_definitions() {
        std::set<std::string> seen;
        for (RuleFile const& file : files_) {
            if (!seen.insert(file.name).second) {
                error(SourcePos{file.name, 0, 0}, "file '" + file.name + "' is loaded twice");
                continue;
            }
            grammar_.files.push_back(file.name);
            auto& scope = grammar_.scope[file.name];
            for (Rule const& rule : file.rules) {
                if (rule.incremental) {
                    continue;
                }
                Key key = make_key(file.name, rule.name);
                auto const [it, fresh] = grammar_.rules.try_emplace(
                    key, LinkedRule{key, file.name, rule.name, rule.definition, rule.where});
                if (!fresh) {
                    error(rule.where, "rule '" + rule.name + "' is already defined with \"=\" at " +
                                          at(it->second.where));
                    continue;
                }
                scope.emplace(lower(rule.name), key);
            }
        }
    }

    void collect_imports() {
        for (RuleFile const& file : files_) {
            auto& scope = grammar_.scope[file.name];
            for (Import const& imp : file.imports) {
                if (grammar_.scope.find(imp.file) == grammar_.scope.end()) {
                    error(imp.where, "@import of '" + imp.file + "', which is not loaded");
                    continue;
                }
                for (std::string const& name : imp.names) {
                    Key key = make_key(imp.file, name);
                    if (grammar_.rules.find(key) == grammar_.rules.end()) {
                        error(imp.where, "@import of '" + name + "', which '" + imp.file +
                                             "' does not define");
                        continue;
                    }
                    auto const [it, fresh] = scope.emplace(lower(name), key);
                    if (!fresh && it->second != key) {
                        bool const local = it->second == make_key(file.name, name);
                        error(imp.where, "@import of '" + name + "' clashes with " +
                                             (local ? "the local rule" : "the import of ") +
                                             (local ? "" : it->second));
                    }
                }
            }
        }
    }

    // A hint for a name that is defined in some loaded file but not visible here.
    [[nodiscard]] std::string elsewhere(std::string_view name) const {
        for (std::string const& file : grammar_.files) {
            if (grammar_.rules.find(make_key(file, name)) != grammar_.rules.end()) {
                return " (it is defined in '" + file + "': add it to an @import)";
            }
        }
        return {};
    }

    std::vector<Extension> collect_extensions() {
        std::vector<Extension> extensions;
        for (RuleFile const& file : files_) {
            std::map<std::string, std::size_t> defined_at; // lower(name) -> index of its "="
            for (std::size_t i = 0; i < file.rules.size(); ++i) {
                if (!file.rules[i].incremental) {
                    defined_at.emplace(lower(file.rules[i].name), i);
                }
            }
            auto const& scope = grammar_.scope[file.name];
            for (std::size_t i = 0; i < file.rules.size(); ++i) {
                Rule const& rule = file.rules[i];
                if (!rule.incremental) {
                    continue;
                }
                std::string const name = lower(rule.name);
                auto const local = defined_at.find(name);
                if (local != defined_at.end() && local->second > i) {
                    error(rule.where, "\"=/\" before the \"=\" definition of '" + rule.name +
                                          "' at " + at(file.rules[local->second].where));
                    continue;
                }
                auto const visible = scope.find(name);
                if (visible == scope.end()) {
                    error(rule.where, "\"=/\" extends '" + rule.name +
                                          "', which is neither defined above nor imported" +
                                          elsewhere(rule.name));
                    continue;
                }
                extensions.push_back(Extension{visible->second, file.name, rule.definition});
            }
        }
        return extensions;
    }

    void resolve(Node& node, std::string const& file) {
        if (node.kind == NodeKind::RuleRef) {
            if (auto key = grammar_.resolve(file, node.name)) {
                node.name = std::move(*key);
            } else {
                error(node.where, "undefined rule '" + node.name + "'" + elsewhere(node.name));
            }
        }
        for (Node& child : node.children) {
            resolve(child, file);
        }
    }

    // RFC 5234 §3.3: "a =/ c" after "a = b" is "a = b / c"; alternations are flattened.
    static void merge(Node& definition, Node extension) {
        if (definition.kind != NodeKind::Alternation) {
            Node alternation;
            alternation.kind = NodeKind::Alternation;
            alternation.where = definition.where;
            alternation.children.push_back(std::move(definition));
            definition = std::move(alternation);
        }
        if (extension.kind == NodeKind::Alternation) {
            for (Node& child : extension.children) {
                definition.children.push_back(std::move(child));
            }
        } else {
            definition.children.push_back(std::move(extension));
        }
    }
};

} // namespace

std::string Error::to_string() const {
    if (where.line == 0) {
        return where.file + ": " + message;
    }
    return where.file + ":" + at(where) + ": " + message;
}

Key make_key(std::string_view file, std::string_view name) {
    return std::string(file) + ":" + lower(name);
}

std::optional<Key> Grammar::resolve(std::string_view file, std::string_view name) const {
    auto const names = scope.find(std::string(file));
    if (names == scope.end()) {
        return std::nullopt;
    }
    auto const key = names->second.find(lower(name));
    if (key == names->second.end()) {
        return std::nullopt;
    }
    return key->second;
}

LinkedRule const* Grammar::find(Key const& key) const {
    auto const it = rules.find(key);
    return it == rules.end() ? nullptr : &it->second;
}

LinkResult link(std::vector<RuleFile> const& files) {
    return Linker(files).run();
}

LinkResult load(std::vector<std::string> const& paths) {
    std::vector<RuleFile> files;
    std::vector<Error> errors;
    for (std::string const& path : paths) {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            errors.push_back(Error{SourcePos{path, 0, 0}, "cannot open the file"});
            continue;
        }
        std::string const text{std::istreambuf_iterator<char>(in),
                               std::istreambuf_iterator<char>()};
        ReadResult read_result = read(text, path);
        for (Error& e : read_result.errors) {
            errors.push_back(std::move(e));
        }
        if (read_result.file) {
            files.push_back(std::move(*read_result.file));
        }
    }
    if (!errors.empty()) {
        return LinkResult{std::nullopt, std::move(errors)};
    }
    return link(files);
}

} // namespace smtpd::abnf

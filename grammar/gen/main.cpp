// smtpd_abnfgen: run by CMake at build time.
//   smtpd_abnfgen --spec gen/ascii.spec --abnf-dir abnf --overrides overrides --out <dir>
// Reads the spec and its ABNF files, decides how each reachable rule is parsed, checks the
// overrides against overrides/allowed.txt, writes <dir>/<variant>/rules{.hpp,_def.hpp,.cpp} (only
// when their text changed) and prints one summary line. Exit status 1, with the reasons, when a
// rule can be neither generated nor overridden, or an override is not on the allow-list.
// Depends on: grammar/reader/, emit.hpp.
#include "gen/emit.hpp"
#include "reader/abnf.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using namespace smtpd;

namespace {

std::string slurp(fs::path const& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void write_if_changed(fs::path const& path, std::string const& text) {
    if (fs::exists(path) && slurp(path) == text) {
        return;
    }
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

/// overrides/allowed.txt: one rule key per line, "#" comments.
std::set<abnf::Key> read_allowed(fs::path const& path) {
    std::set<abnf::Key> keys;
    std::istringstream in(slurp(path));
    for (std::string line; std::getline(in, line);) {
        std::istringstream words(line.substr(0, line.find('#')));
        std::string key;
        if (words >> key) {
            std::transform(key.begin(), key.end(), key.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            keys.insert(key);
        }
    }
    return keys;
}

int fail(std::vector<std::string> const& errors) {
    for (auto const& e : errors) {
        std::fprintf(stderr, "smtpd_abnfgen: %s\n", e.c_str());
    }
    return 1;
}

int run(std::map<std::string, std::string> const& args) {
    std::vector<std::string> errors;
    fs::path const spec_path = args.at("--spec");
    abnfgen::Spec spec = abnfgen::read_spec(slurp(spec_path), spec_path.string(), errors);
    if (!errors.empty()) {
        return fail(errors);
    }
    std::vector<std::string> paths;
    for (auto const& f : spec.files) {
        paths.push_back((fs::path(args.at("--abnf-dir")) / (f + ".abnf")).string());
    }
    auto linked = abnf::load(paths);
    if (!linked.grammar) {
        for (auto const& e : linked.errors) {
            errors.push_back(e.to_string());
        }
        return fail(errors);
    }
    abnf::Grammar const& grammar = *linked.grammar;
    for (auto const* list : {&spec.entries, &spec.captures}) {
        for (auto const& key : *list) {
            if (grammar.find(key) == nullptr) {
                errors.push_back(spec_path.string() + ": no rule " + key);
            }
        }
    }
    fs::path const overrides = args.at("--overrides");
    std::set<abnf::Key> const allowed = read_allowed(overrides / "allowed.txt");
    // An override is X3 code (<ident>.hpp) for a rule the generator refuses, or the ABNF shape
    // (<ident>.abnf, loaded by a spec's "files") of a rule the RFCs give only in prose.
    std::map<std::string, abnf::Key> allowed_files;
    for (auto const& key : allowed) {
        allowed_files[abnfgen::Generator::ident(key) + ".hpp"] = key;
        allowed_files[abnfgen::Generator::ident(key) + ".abnf"] = key;
    }
    for (auto const& entry : fs::directory_iterator(overrides)) {
        auto const name = entry.path().filename().string();
        if (name != "allowed.txt" && name != "README.md" && allowed_files.count(name) == 0) {
            errors.push_back("override " + entry.path().string() +
                             " is not on the allow-list (overrides/allowed.txt)");
        }
    }
    if (!errors.empty()) {
        return fail(errors);
    }
    abnfgen::Analysis const analysis(grammar, spec.entries);
    abnfgen::Generator const gen(analysis, spec, allowed);
    std::map<abnfgen::Mode, std::vector<abnf::Key>> by_mode;
    for (auto const& [key, d] : gen.decisions()) {
        by_mode[d.mode].push_back(key);
        if (d.mode == abnfgen::Mode::Refused) {
            std::string why;
            for (auto const& r : d.reasons) {
                why += "; " + r;
            }
            errors.push_back("rule " + key + " cannot be generated" + why +
                             ": write an override and add it to overrides/allowed.txt");
        } else if (d.mode == abnfgen::Mode::Override &&
                   !fs::exists(overrides / (abnfgen::Generator::ident(key) + ".hpp"))) {
            errors.push_back("override for " + key + " is allowed but " +
                             abnfgen::Generator::ident(key) + ".hpp is missing");
        } else if (d.mode != abnfgen::Mode::Override && allowed.count(key) != 0 &&
                   fs::exists(overrides / (abnfgen::Generator::ident(key) + ".hpp"))) {
            errors.push_back("override for " + key +
                             " is not needed: the rule is generated; remove it from the list");
        }
    }
    if (!errors.empty()) {
        return fail(errors);
    }
    fs::path const out = fs::path(args.at("--out")) / spec.variant;
    write_if_changed(out / "rules.hpp", gen.header());
    write_if_changed(out / "rules_def.hpp", gen.definitions());
    write_if_changed(out / "rules.cpp", gen.source());
    std::string overridden;
    for (auto const& key : by_mode[abnfgen::Mode::Override]) {
        overridden += " " + key;
    }
    for (auto const& key : allowed) { // rules generated from an override's ABNF shape
        if (gen.decisions().count(key) != 0 &&
            fs::exists(overrides / (abnfgen::Generator::ident(key) + ".abnf"))) {
            overridden += " " + key + "(ABNF)";
            by_mode[abnfgen::Mode::Override].push_back(key);
        }
    }
    char summary[512];
    std::snprintf(
        summary, sizeof summary,
        "smtpd_abnfgen %s: %zu rules: %zu generated as PEG, %zu as DFA; %zu overridden%s\n",
        spec.variant.c_str(), gen.decisions().size(), by_mode[abnfgen::Mode::Peg].size(),
        by_mode[abnfgen::Mode::Dfa].size(), by_mode[abnfgen::Mode::Override].size(),
        overridden.empty() ? "" : (" (" + overridden.substr(1) + ")").c_str());
    std::fputs(summary, stdout);
    write_if_changed(out / "summary.txt", summary);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    std::map<std::string, std::string> args;
    for (int i = 1; i + 1 < argc; i += 2) {
        args[argv[i]] = argv[i + 1];
    }
    for (char const* required : {"--spec", "--abnf-dir", "--overrides", "--out"}) {
        if (args.count(required) == 0) {
            std::fprintf(stderr,
                         "usage: smtpd_abnfgen --spec F --abnf-dir D --overrides D --out D\n");
            return 2;
        }
    }
    try {
        return run(args);
    } catch (std::exception const& e) {
        std::fprintf(stderr, "smtpd_abnfgen: %s\n", e.what());
        return 1;
    }
}

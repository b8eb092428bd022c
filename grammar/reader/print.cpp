// The ABNF printer: Node and RuleFile back to canonical RFC 5234 text (one rule per line, hex
// values in upper case, comments dropped), and the structural comparison that the round trip
// read(print(read(t))) == read(t) is stated in. Invariant: for every tree the reader produces,
// reading the printed text gives the same structure; hand-built trees get parentheses where the
// text would otherwise regroup. Depends on: reader/abnf.hpp and the standard library only.
#include "reader/abnf.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace smtpd::abnf {
namespace {

void append_number(std::string& out, std::uint32_t value, char base) {
    if (base == 'd') {
        out += std::to_string(value);
        return;
    }
    unsigned const bits = base == 'b' ? 1 : 4;
    unsigned const min_digits = base == 'b' ? 1 : 2; // %x0D rather than %xD
    std::string digits;
    while (value != 0 || digits.size() < min_digits) {
        digits.insert(digits.begin(), "0123456789ABCDEF"[value & ((1U << bits) - 1)]);
        value >>= bits;
    }
    out += digits;
}

void append_repeat(std::string& out, unsigned min, unsigned max) {
    if (min == max) {
        out += std::to_string(min);
        return;
    }
    if (min != 0) {
        out += std::to_string(min);
    }
    out += '*';
    if (max != kUnbounded) {
        out += std::to_string(max);
    }
}

void append(std::string& out, Node const& node);

// A child that the surrounding syntax would otherwise split or merge is put in parentheses.
void append_child(std::string& out, Node const& parent, std::size_t index) {
    if (index >= parent.children.size()) {
        return;
    }
    Node const& child = parent.children[index];
    bool wrap = false;
    switch (parent.kind) {
    case NodeKind::Alternation:
        wrap = child.kind == NodeKind::Alternation;
        break;
    case NodeKind::Concatenation:
        wrap = child.kind == NodeKind::Alternation || child.kind == NodeKind::Concatenation;
        break;
    case NodeKind::Repetition:
        wrap = child.kind == NodeKind::Alternation || child.kind == NodeKind::Concatenation ||
               child.kind == NodeKind::Repetition;
        break;
    default:
        break;
    }
    if (wrap) {
        out += '(';
    }
    append(out, child);
    if (wrap) {
        out += ')';
    }
}

void append(std::string& out, Node const& node) {
    switch (node.kind) {
    case NodeKind::Alternation:
    case NodeKind::Concatenation:
        for (std::size_t i = 0; i < node.children.size(); ++i) {
            if (i != 0) {
                out += node.kind == NodeKind::Alternation ? " / " : " ";
            }
            append_child(out, node, i);
        }
        break;
    case NodeKind::Repetition:
        append_repeat(out, node.min, node.max);
        append_child(out, node, 0);
        break;
    case NodeKind::Option:
    case NodeKind::Group:
        out += node.kind == NodeKind::Option ? '[' : '(';
        append_child(out, node, 0);
        out += node.kind == NodeKind::Option ? ']' : ')';
        break;
    case NodeKind::RuleRef:
        out += node.name;
        break;
    case NodeKind::CharVal:
        out += node.case_sensitive ? "%s\"" : node.explicit_insensitive ? "%i\"" : "\"";
        out += node.text;
        out += '"';
        break;
    case NodeKind::ProseVal:
        out += '<';
        out += node.text;
        out += '>';
        break;
    case NodeKind::NumRange:
    case NodeKind::NumSeq: {
        char const base = node.base == 'b' || node.base == 'd' ? node.base : 'x';
        out += '%';
        out += base;
        for (std::size_t i = 0; i < node.values.size(); ++i) {
            if (i != 0) {
                out += node.kind == NodeKind::NumRange ? '-' : '.';
            }
            append_number(out, node.values[i], base);
        }
        break;
    }
    }
}

} // namespace

std::string print(Node const& node) {
    std::string out;
    append(out, node);
    return out;
}

std::string print(RuleFile const& file) {
    std::string out;
    for (Import const& imp : file.imports) {
        out += "; @import " + imp.file;
        for (std::string const& name : imp.names) {
            out += ' ';
            out += name;
        }
        out += '\n';
    }
    if (!file.imports.empty() && !file.rules.empty()) {
        out += '\n';
    }
    for (Rule const& rule : file.rules) {
        out += rule.name;
        out += rule.incremental ? " =/ " : " = ";
        append(out, rule.definition);
        out += '\n';
    }
    return out;
}

bool same_structure(Node const& a, Node const& b) {
    if (a.kind != b.kind || a.min != b.min || a.max != b.max || a.name != b.name ||
        a.text != b.text || a.case_sensitive != b.case_sensitive ||
        a.explicit_insensitive != b.explicit_insensitive || a.base != b.base ||
        a.values != b.values || a.children.size() != b.children.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.children.size(); ++i) {
        if (!same_structure(a.children[i], b.children[i])) {
            return false;
        }
    }
    return true;
}

bool same_structure(RuleFile const& a, RuleFile const& b) {
    if (a.name != b.name || a.imports.size() != b.imports.size() ||
        a.rules.size() != b.rules.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.imports.size(); ++i) {
        if (a.imports[i].file != b.imports[i].file || a.imports[i].names != b.imports[i].names) {
            return false;
        }
    }
    for (std::size_t i = 0; i < a.rules.size(); ++i) {
        if (a.rules[i].name != b.rules[i].name ||
            a.rules[i].incremental != b.rules[i].incremental ||
            !same_structure(a.rules[i].definition, b.rules[i].definition)) {
            return false;
        }
    }
    return true;
}

} // namespace smtpd::abnf

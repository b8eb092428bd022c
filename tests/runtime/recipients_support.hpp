// Test helper for recipient resolution: a fake system (users, ~/.forward files and include files
// held in maps, injected through RecipientsIo) and small builders for configurations. Depends on:
// runtime/lookup/recipients.hpp.
#pragma once

#include "lookup/recipients.hpp"

#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace smtpd::rt::testing {

struct FakeSystem {
    std::map<std::string, UserInfo> users{
        {"root", {"root", "/root", 0, 0}},
        {"bob", {"bob", "/home/bob", 1000, 1000}},
        {"alice", {"alice", "/home/alice", 1001, 1001}},
        {"vmail", {"vmail", "/var/vmail", 2000, 2000}},
        {"_smtpd", {"_smtpd", "/var/empty", 95, 95}},
    };
    std::map<std::string, std::string> forwards; ///< by user name
    std::map<std::string, std::string> includes; ///< by path

    [[nodiscard]] RecipientsIo io() const {
        RecipientsIo io;
        io.find_user = [u = users](std::string const& name) -> std::optional<UserInfo> {
            auto const it = u.find(name);
            return it == u.end() ? std::nullopt : std::optional{it->second};
        };
        io.forward_reader = [f = forwards](UserInfo const& user) -> std::optional<std::string> {
            auto const it = f.find(user.name);
            return it == f.end() ? std::nullopt : std::optional{it->second};
        };
        io.include_reader = [i = includes](std::string const& path) -> std::optional<std::string> {
            auto const it = i.find(path);
            return it == i.end() ? std::nullopt : std::optional{it->second};
        };
        return io;
    }
};

inline conf::Table map_table(std::string name,
                             std::vector<std::pair<std::string, std::string>> entries) {
    conf::Table t;
    t.name = std::move(name);
    t.map = std::move(entries);
    return t;
}

inline conf::Action action(std::string name, conf::Action::Method method = {}) {
    conf::Action a;
    a.name = std::move(name);
    a.method = method;
    return a;
}

/// match from any for local action <first action>, plus the given tables and actions.
inline conf::Config local_config(std::vector<conf::Action> actions,
                                 std::vector<conf::Table> tables = {}) {
    conf::Config c;
    c.tables = std::move(tables);
    conf::Match m;
    m.from.kind = conf::MatchFrom::Kind::Any;
    m.for_.kind = conf::MatchFor::Kind::Local;
    m.action = actions.at(0).name;
    c.actions = std::move(actions);
    c.matches.push_back(m);
    return c;
}

/// A recipients for host mx.example over `config` and the fake system; fails the test if none.
inline Recipients make_resolver(conf::Config config, FakeSystem const& system = {}) {
    auto r = Recipients::create(std::move(config), "mx.example", system.io());
    if (!r) {
        throw std::runtime_error(r.error().message);
    }
    return std::move(r).value();
}

} // namespace smtpd::rt::testing

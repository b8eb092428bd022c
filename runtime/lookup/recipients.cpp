// Recipient resolution over the match rules, in file order, first match wins (smtpd.conf(5)),
// and the loading of the tables; what a recipient expands to is expansion.cpp's work, what an SRS
// recipient stands for srs_reverse.cpp's. Depends on: recipients.hpp, expansion.hpp,
// srs_reverse.hpp, table/.
#include "lookup/recipients.hpp"

#include "common/log.hpp"
#include "lookup/expansion.hpp"
#include "lookup/srs_reverse.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <pwd.h>
#include <unistd.h>
#include <vector>

namespace smtpd::rt {

namespace {

std::string lowercase(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return lowercase(a) == lowercase(b);
}

} // namespace

std::optional<UserInfo> find_user(std::string const& name) {
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* result = nullptr;
    if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &result) != 0 || result == nullptr) {
        return std::nullopt;
    }
    return UserInfo{pw.pw_name, pw.pw_dir, pw.pw_uid, pw.pw_gid};
}

Result<Recipients> Recipients::create(conf::Config config, std::string hostname, RecipientsIo io) {
    Recipients r(std::move(config), std::move(hostname), std::move(io));
    for (auto const& t : r.config_.tables) {
        auto opened = table::open_table(t);
        if (!opened) {
            return failure(opened.error().code,
                           fmt::format("{}:{}:{}: table <{}>: {}", t.where.file, t.where.line,
                                       t.where.column, t.name, opened.error().what()));
        }
        r.tables_.emplace(t.name, std::move(opened).value());
    }
    return r;
}

bool Recipients::is_local_domain(std::string_view domain) const {
    return iequals(domain, "localhost") || iequals(domain, hostname_) ||
           iequals(domain, "[127.0.0.1]") || iequals(domain, "[IPv6:::1]");
}

conf::Match const* Recipients::find_match(std::string_view domain, bool client_local) const {
    for (auto const& m : config_.matches) {
        if (m.from.kind == conf::MatchFrom::Kind::Local && !client_local) {
            continue;
        }
        bool matched = false;
        switch (m.for_.kind) {
        case conf::MatchFor::Kind::Any:
            matched = true;
            break;
        case conf::MatchFor::Kind::Local:
            matched = is_local_domain(domain);
            break;
        case conf::MatchFor::Kind::Domain:
            if (m.for_.domain_table) {
                table::Table* t = table(*m.for_.domain_table);
                auto const found =
                    t != nullptr ? t->match(table::Service::Domain, domain) : Result<bool>(false);
                matched = found.has_value() && found.value();
            } else {
                matched = iequals(m.for_.domain, domain);
            }
            break;
        }
        if (matched) {
            log_trace(Trace::Rules, "rules: domain {} (client {}) matched {}:{} action \"{}\"",
                      domain, client_local ? "local" : "remote", m.where.file, m.where.line,
                      m.action);
            return &m;
        }
    }
    log_trace(Trace::Rules, "rules: domain {} (client {}) matched no rule", domain,
              client_local ? "local" : "remote");
    return nullptr;
}

conf::Action const* Recipients::find_action(std::string_view domain, bool client_local) const {
    conf::Match const* match = find_match(domain, client_local);
    if (match == nullptr) {
        return nullptr;
    }
    auto const action =
        std::find_if(config_.actions.begin(), config_.actions.end(),
                     [&](conf::Action const& a) { return a.name == match->action; });
    return action == config_.actions.end() ? nullptr : &*action;
}

table::Table* Recipients::table(std::string_view name) const {
    auto const t = tables_.find(name);
    return t == tables_.end() ? nullptr : t->second.get();
}

Resolution Recipients::resolve(std::string_view local_part, std::string_view domain,
                               bool client_local) const {
    return resolve(local_part, domain, client_local, io_);
}

Resolution Recipients::resolve(std::string_view local_part, std::string_view domain,
                               bool client_local, RecipientsIo const& io) const {
    if (auto srs =
            resolve_srs(*this, srs_keys(config_.srs), local_part, domain, client_local, io)) {
        return std::move(*srs);
    }
    conf::Action const* action = find_action(domain, client_local);
    if (action == nullptr) {
        return {sm::RcptVerdict::Kind::RelayDenied, {}, "no match rule"};
    }
    return Expansion(*this, io).run(local_part, domain, *action);
}

} // namespace smtpd::rt

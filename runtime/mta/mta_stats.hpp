// What the MTA remembers of the hosts it talks to, for `smtpctl show hosts|relays|routes|
// hoststats` (OpenSMTPD's mta.c layout) and for its own choices: a route (source -> host
// address) that failed to connect is penalized for a while, and the attempts of that time try
// it after the others; the messages deferred at a host are handed back when it takes mail
// again (OpenSMTPD's hoststat cache, `mta max-deferred`). Entries without connections are forgotten
// after a while (hoststats after four hours, as OpenSMTPD's HOSTSTAT_EXPIRE_DELAY). Times are
// wall-clock seconds given by the caller. Pure: no I/O. Depends on: the standard library, fmt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::rt::mta {

/// A route's back-off after consecutive failures: 1, 2, 4 ... minutes, at most an hour.
[[nodiscard]] std::int64_t route_penalty_seconds(int errors);

class MtaStats {
  public:
    /// A connection to `address` (`name` its host name, from `source`, "" for any) is being
    /// made for `relay` (the relay's text, "[relay:domain,...]").
    void connecting(std::string const& relay, std::string const& source, std::string const& address,
                    std::string const& name, std::int64_t now);
    /// It was made: the route's error count starts again.
    void connected(std::string const& source, std::string const& address, std::int64_t now);
    /// It failed with `error`.
    void failed(std::string const& source, std::string const& address, std::string const& name,
                std::string const& error, std::int64_t now);
    /// A connection made by connecting() is closed (after connected() or failed()).
    void closed(std::string const& relay, std::string const& source, std::string const& address,
                std::int64_t now);
    /// A relay request started (+) or finished (-) with `tasks` recipients.
    void relay_tasks(std::string const& relay, std::ptrdiff_t requests, std::ptrdiff_t tasks,
                     std::int64_t now);
    /// A session with `name` ended well: its host's last error is forgotten.
    void host_ok(std::string const& name);

    /// `msgid` was deferred at host `name` with `error` (a temporary failure there): the host's
    /// last error, and the message kept, at most `max` per host (`mta max-deferred`), to be
    /// retried as soon as that host takes mail again.
    void defer(std::string const& name, std::string const& msgid, std::string const& error,
               std::size_t max, std::int64_t now);
    /// Host `name` took mail: the messages deferred there, forgotten here.
    [[nodiscard]] std::vector<std::string> take_deferred(std::string const& name);

    /// Whether the route is in its penalty time.
    [[nodiscard]] bool penalized(std::string const& source, std::string const& address,
                                 std::int64_t now) const;

    [[nodiscard]] std::vector<std::string> show_hosts(std::int64_t now) const;
    [[nodiscard]] std::vector<std::string> show_relays(std::int64_t now) const;
    [[nodiscard]] std::vector<std::string> show_routes(std::int64_t now) const;
    [[nodiscard]] std::vector<std::string> show_hoststats() const;

    /// How long an entry without connections is kept.
    static constexpr std::int64_t kForgetAfter = 4 * 3600;

  private:
    struct Host {
        std::string name;
        std::size_t nconn = 0;
        std::int64_t lastconn = 0;
    };
    struct Route {
        std::uint64_t id = 0;
        std::size_t nconn = 0;
        int nerror = 0;
        std::int64_t penalty_until = 0;
        std::int64_t last = 0;
        bool connected = false; ///< a connection was ever made (else the N flag)
    };
    struct Relay {
        std::ptrdiff_t refcount = 0;
        std::ptrdiff_t ntask = 0;
        std::size_t nconn = 0;
        std::int64_t lastconn = 0;
        std::int64_t last = 0;
    };
    struct HostStat {
        std::int64_t time = 0;
        std::string error;
        std::set<std::string, std::less<>> deferred; ///< msgids, for take_deferred()
    };
    void forget_old(std::int64_t now);
    static std::string route_key(std::string const& source, std::string const& address);

    std::map<std::string, Host, std::less<>> hosts_;         ///< by address
    std::map<std::string, Route, std::less<>> routes_;       ///< by "source|address"
    std::map<std::string, Relay, std::less<>> relays_;       ///< by the relay's text
    std::map<std::string, HostStat, std::less<>> hoststats_; ///< by host name
    std::uint64_t next_route_id_ = 1;
};

} // namespace smtpd::rt::mta

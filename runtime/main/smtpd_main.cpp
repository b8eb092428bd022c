// smtpd(8): the entry point. Parses the OpenSMTPD command line (-d -F -v -f -n -D -h, plus our
// -S spool directory, -s control socket and the internal -x role, and -T traces), loads smtpd.conf,
// and either runs the parent, which starts every role process, or, with -x, one of those roles.
// Depends on: grammar/ (conf), runtime/.
#include "common/host_name.hpp"
#include "common/log.hpp"
#include "common/privileges.hpp"
#include "common/proc_title.hpp"
#include "conf/conf.hpp"
#include "control/control_process.hpp"
#include "dispatcher/dispatcher_process.hpp"
#include "io/bind_listeners.hpp"
#include "lookup/lookup_process.hpp"
#include "lookup/recipients.hpp"
#include "parent/parent_process.hpp"
#include "queue/queue_process.hpp"
#include "role/daemon_options.hpp"
#include "role/topology.hpp"
#include "scheduler/scheduler_process.hpp"
#include "spool/queue_key.hpp"
#include "tls/tls_config.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using namespace smtpd;
using rt::DaemonOptions;

void usage(std::FILE* out) {
    std::fprintf(out, "usage: smtpd [-dFhnv] [-D macro=value] [-f file] [-P mda|mta] "
                      "[-S spooldir] [-s socket] [-T trace]\n"
                      "smtpd " SMTPD_VERSION "\n");
}

bool add_define(DaemonOptions& o, std::string const& def) {
    auto const eq = def.find('=');
    if (eq == std::string::npos || eq == 0) {
        std::fprintf(stderr, "smtpd: -D %s: expected name=value\n", def.c_str());
        return false;
    }
    o.defines[def.substr(0, eq)] = def.substr(eq + 1);
    return true;
}

// OpenSMTPD names one subsystem per -T (kTraceNames) and warns about a name it does not know.
void add_trace(DaemonOptions& o, char const* name) {
    if (!rt::trace_bits(name)) {
        std::fprintf(stderr, "smtpd: unknown trace flag \"%s\"\n", name);
        return;
    }
    o.traces.emplace_back(name);
}

std::uint16_t trace_mask(DaemonOptions const& o) {
    std::uint16_t bits = 0;
    for (auto const& name : o.traces) {
        bits |= rt::trace_bits(name).value_or(0);
    }
    return bits;
}

bool set_role(DaemonOptions& o, char const* name) {
    o.role = rt::role_from_name(name);
    if (!o.role) {
        std::fprintf(stderr, "smtpd: -x %s: no such role\n", name);
        return false;
    }
    return true;
}

/// -P mda|mta (OpenSMTPD's -P system): start with that kind of delivery paused, until
/// `smtpctl resume mda|mta`.
bool set_paused(DaemonOptions& o, std::string_view what) {
    if (what == "mda") {
        o.paused_mda = true;
        return true;
    }
    if (what == "mta") {
        o.paused_mta = true;
        return true;
    }
    std::fprintf(stderr, "smtpd: -P %.*s: not mda or mta\n", static_cast<int>(what.size()),
                 what.data());
    return false;
}

std::optional<DaemonOptions> parse_options(int argc, char** argv) {
    DaemonOptions o;
    bool socket_given = false;
    int ch = 0;
    while ((ch = ::getopt(argc, argv, "dD:Ff:hnP:S:s:T:vx:")) != -1) {
        bool ok = true;
        switch (ch) {
        case 'd':
            o.debug = true;
            break;
        case 'D':
            ok = add_define(o, optarg);
            break;
        case 'F':
            o.foreground = true;
            break;
        case 'f':
            o.config = optarg;
            break;
        case 'h':
            usage(stdout);
            std::exit(0);
        case 'n':
            o.check_only = true;
            break;
        case 'P':
            ok = set_paused(o, optarg);
            break;
        case 'S':
            o.spool = optarg;
            break;
        case 's':
            o.socket = optarg;
            socket_given = true;
            break;
        case 'v':
            o.verbose = true;
            break;
        case 'T':
            add_trace(o, optarg);
            break;
        case 'x':
            ok = set_role(o, optarg);
            break;
        default:
            ok = false;
        }
        if (!ok) {
            usage(stderr);
            return std::nullopt;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return std::nullopt;
    }
    // A normal user cannot create /var/run/smtpd.sock: the socket goes into the spool.
    if (!socket_given && !rt::running_as_root()) {
        o.socket = o.spool + "/smtpd.sock";
    }
    return o;
}

/// The command line a child role is re-executed with: the parent's options, paths absolute
/// (the parent may have changed directory by then).
std::vector<std::string> child_args(DaemonOptions const& o) {
    namespace fs = std::filesystem;
    std::vector<std::string> args{"smtpd"};
    if (o.debug) {
        args.emplace_back("-d");
    }
    if (o.foreground) {
        args.emplace_back("-F");
    }
    if (o.verbose) {
        args.emplace_back("-v");
    }
    for (auto const& trace : o.traces) {
        args.insert(args.end(), {"-T", trace});
    }
    for (auto const& [paused, name] :
         {std::pair{o.paused_mda, "mda"}, std::pair{o.paused_mta, "mta"}}) {
        if (paused) {
            args.insert(args.end(), {"-P", name});
        }
    }
    args.insert(args.end(),
                {"-f", fs::absolute(o.config).string(), "-S", fs::absolute(o.spool).string(), "-s",
                 fs::absolute(o.socket).string()});
    for (auto const& [name, value] : o.defines) {
        args.emplace_back("-D");
        args.push_back(name + "=" + value);
    }
    return args;
}

int role_main(rt::Role role, DaemonOptions const& o, conf::Config const& config) {
    switch (role) {
    case rt::Role::Lookup:
        return rt::run_lookup(o, config);
    case rt::Role::Queue:
        return rt::run_queue(o, config);
    case rt::Role::Scheduler:
        return rt::run_scheduler(o, config);
    case rt::Role::Control:
        return rt::run_control(o, config);
    case rt::Role::Dispatcher:
        return rt::run_dispatcher(o, config);
    case rt::Role::Parent:
        break;
    }
    return 1;
}

int run_role(rt::Role role, DaemonOptions const& o, conf::Config const& config) {
    rt::set_proc_title("smtpd: " + std::string(rt::role_name(role)));
    rt::RoleInfo const* info = rt::role_info(role);
    bool const jailed = rt::running_as_root() && info != nullptr && info->jail != rt::Jail::None;
    int const status = role_main(role, o, config);
    if (jailed) {
        // The role has cleaned up. Exit without the C++ exit handlers: in a chroot there is
        // no /proc, which the leak checker of a sanitizer build needs, and nothing is left
        // to do that they could do.
        std::fflush(nullptr);
        ::_exit(status);
    }
    return status;
}

/// smtpd.c: a queue encryption key not in the configuration is read before the daemon detaches,
/// from the standard input (`queue encryption -` or `stdin`) or the terminal (no key given).
bool read_queue_key(conf::QueueCoding& queue) {
    if (!queue.encryption || queue.key_source == conf::QueueCoding::KeySource::Config) {
        return true;
    }
    auto key = queue.key_source == conf::QueueCoding::KeySource::Stdin
                   ? rt::read_queue_key(STDIN_FILENO)
                   : rt::ask_queue_key();
    if (!key) {
        std::fprintf(stderr, "smtpd: %s\n", key.error().what().c_str());
        return false;
    }
    queue.key = std::move(key).value();
    return true;
}

int run(DaemonOptions const& o) {
    auto loaded = conf::load_config(o.config, o.defines);
    if (!loaded.config.has_value()) {
        for (auto const& e : loaded.errors) {
            std::fprintf(stderr, "%s\n", e.to_string().c_str());
        }
        return 1;
    }
    conf::Config& config = *loaded.config;
    rt::log_init(o.debug, o.verbose, "smtpd");
    rt::log_set_traces(trace_mask(o));
    if (o.role.has_value()) {
        return run_role(*o.role, o, config);
    }
    if (auto recipients = rt::Recipients::create(config, rt::host_name()); !recipients) {
        std::fprintf(stderr, "%s\n", recipients.error().what().c_str());
        return 1;
    }
    if (auto const bad = rt::tls::check_pkis(config); !bad.empty()) {
        for (auto const& e : bad) {
            std::fprintf(stderr, "%s\n", e.to_string().c_str());
        }
        return 1;
    }
    if (auto const bad = rt::check_listen_targets(config); !bad.empty()) {
        for (auto const& e : bad) {
            std::fprintf(stderr, "%s\n", e.c_str());
        }
        return 1;
    }
    if (o.check_only) {
        std::fprintf(stderr, "configuration OK\n");
        return 0;
    }
    if (!read_queue_key(config.queue)) {
        return 1;
    }
    std::vector<std::string> const args = child_args(o);
    if (!o.debug && !o.foreground && ::daemon(0, 0) != 0) {
        std::perror("smtpd: daemon");
        return 1;
    }
    return rt::run_parent(o, config, args);
}

} // namespace

int main(int argc, char** argv) {
    smtpd::rt::init_proc_title(argc, argv);
    auto options = parse_options(argc, argv);
    if (!options) {
        return 1;
    }
    try {
        return run(*options);
    } catch (std::exception const& e) {
        std::fprintf(stderr, "smtpd: fatal: %s\n", e.what());
        return 1;
    }
}

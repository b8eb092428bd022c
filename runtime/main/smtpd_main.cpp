// smtpd(8): the entry point. Parses the OpenSMTPD command line (-d -F -v -f -n -D -h, plus our
// -S spool directory), loads smtpd.conf, and runs the server: listeners, sessions, the queue.
// A single process for now; the privilege-separated process model is a later issue.
// Depends on: grammar/ (conf), runtime/.
#include "common/log.hpp"
#include "conf/conf.hpp"
#include "io/listener.hpp"
#include "lookup/resolver.hpp"
#include "queue/queue_runner.hpp"
#include "spool/spool.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <utility>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>

namespace {

using namespace smtpd;

// Threads that wait for fsync: enough for every concurrent session of a busy small site to have
// its commit in flight, so the filesystem can group them.
constexpr std::size_t kDiskThreads = 16;

constexpr char const* kDefaultConfig = "/etc/smtpd.conf";

struct Options {
    bool debug = false;      ///< -d: foreground, log to stderr
    bool foreground = false; ///< -F: foreground, log to syslog
    bool verbose = false;    ///< -v
    bool check_only = false; ///< -n
    std::string config = kDefaultConfig;
    std::string spool = SMTPD_DEFAULT_SPOOL;
    std::map<std::string, std::string> defines;
};

void usage(std::FILE* out) {
    std::fprintf(out, "usage: smtpd [-dFhnv] [-D macro=value] [-f file] [-S spooldir]\n"
                      "smtpd " SMTPD_VERSION "\n");
}

std::optional<Options> parse_options(int argc, char** argv) {
    Options o;
    int ch = 0;
    while ((ch = ::getopt(argc, argv, "dD:Ff:hnS:v")) != -1) {
        switch (ch) {
        case 'd':
            o.debug = true;
            break;
        case 'D': {
            std::string const def = optarg;
            auto const eq = def.find('=');
            if (eq == std::string::npos || eq == 0) {
                std::fprintf(stderr, "smtpd: -D %s: expected name=value\n", optarg);
                return std::nullopt;
            }
            o.defines[def.substr(0, eq)] = def.substr(eq + 1);
            break;
        }
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
        case 'S':
            o.spool = optarg;
            break;
        case 'v':
            o.verbose = true;
            break;
        default:
            usage(stderr);
            return std::nullopt;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return std::nullopt;
    }
    return o;
}

std::string host_name() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') {
        return "localhost";
    }
    return buf;
}

int run(Options const& o) {
    auto loaded = conf::load_config(o.config, o.defines);
    if (!loaded.config.has_value()) {
        for (auto const& e : loaded.errors) {
            std::fprintf(stderr, "%s\n", e.to_string().c_str());
        }
        return 1;
    }
    conf::Config const& config = *loaded.config;
    std::string const hostname = host_name();
    std::string error;
    auto resolver = rt::Resolver::create(config, hostname, error);
    if (!resolver) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
    }
    if (o.check_only) {
        std::fprintf(stderr, "configuration OK\n");
        return 0;
    }
    rt::log_init(o.debug, o.verbose, "smtpd");
    if (::geteuid() == 0) {
        rt::log_warn("smtpd: running as root in a single process: privilege separation is not "
                     "implemented yet");
    } else {
        rt::log_warn("smtpd: running as a normal user: no privilege drop");
    }
    auto spool = rt::Spool::open(o.spool);
    if (!spool) {
        std::fprintf(stderr, "smtpd: spool %s: %s\n", o.spool.c_str(),
                     spool.error().message().c_str());
        return 1;
    }
    boost::asio::io_context io;
    rt::DiskWorkers disk(kDiskThreads);
    rt::QueueRunner queue(io, disk, spool.value(), hostname);
    // However run() ends, the disk workers stop before the queue they work for goes away.
    std::unique_ptr<rt::DiskWorkers, void (*)(rt::DiskWorkers*)> const stop_disk(
        &disk, [](rt::DiskWorkers* d) { d->shutdown(); });
    rt::ServerContext context{hostname, *resolver, spool.value(), queue, disk};
    context.session_params.max_recipients =
        config.smtp_limits.max_rcpt.value_or(context.session_params.max_recipients);
    context.session_params.max_messages =
        config.smtp_limits.max_mails.value_or(context.session_params.max_messages);
    context.session_params.max_message_size =
        config.smtp_limits.max_message_size.value_or(conf::SmtpLimits::kDefaultMaxMessageSize);
    if (!rt::start_listeners(io, config, context, error)) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
    }
    if (!o.debug && !o.foreground && ::daemon(0, 0) != 0) {
        std::perror("smtpd: daemon");
        return 1;
    }
    queue.recover();
    // SIGTERM/SIGINT: stop. A message is acknowledged only after its commit returned, so a stop
    // never leaves a partial file that recovery would mistake for an acknowledged message.
    // SIGHUP is ignored (no reload yet).
    boost::asio::signal_set stop(io, SIGTERM, SIGINT);
    stop.async_wait([&io](boost::system::error_code, int sig) {
        rt::log_info("smtpd: exiting on signal {}", sig);
        io.stop();
    });
    boost::asio::signal_set hup(io, SIGHUP);
    std::function<void(boost::system::error_code, int)> ignore_hup;
    ignore_hup = [&](boost::system::error_code ec, int) {
        if (!ec) {
            rt::log_info("smtpd: SIGHUP ignored: configuration reload is not implemented");
            hup.async_wait(ignore_hup);
        }
    };
    hup.async_wait(ignore_hup);
    rt::log_info("smtpd: ready to accept mail as {}", hostname);
    io.run();
    // Work in progress finishes (a commit completes or never happened); queued deliveries are
    // found again by recovery at the next start.
    return 0;
}

} // namespace

int main(int argc, char** argv) {
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

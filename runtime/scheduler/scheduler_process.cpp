// The scheduler role: what scheduler/policy.hpp decides, carried out: a ready list, the
// deliveries in flight, a timer per message waiting for its next attempt, and the notices
// (delay warnings, expiry) it asks the queue to send.
#include "scheduler/scheduler_process.hpp"

#include "common/clock.hpp"
#include "common/log.hpp"
#include "common/queue_id.hpp"
#include "role/role_process.hpp"
#include "scheduler/policy.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <optional>

namespace smtpd::rt {

namespace asio = boost::asio;

namespace {

SysSeconds as_time(std::uint64_t seconds) {
    return SysSeconds{std::chrono::seconds{static_cast<std::int64_t>(seconds)}};
}

std::optional<SysSeconds> time_or_none(std::uint64_t seconds) {
    if (seconds == 0) {
        return std::nullopt;
    }
    return SysSeconds{std::chrono::seconds{static_cast<std::int64_t>(seconds)}};
}

class Scheduler {
  public:
    Scheduler(asio::io_context& io, Peers& peers, SchedulerConfig config, std::size_t max_inflight,
              bool paused_mda, bool paused_mta)
        : io_(io), peers_(peers), config_(std::move(config)), max_inflight_(max_inflight),
          paused_mda_(paused_mda), paused_mta_(paused_mta) {}

    void on_message(Role from, ipc::Received received) {
        auto& m = received.message;
        switch (ipc::type_of(m)) {
        case ipc::MsgType::ScheduleMessage:
            return schedule(std::get<ipc::ScheduleMessage>(m));
        case ipc::MsgType::DeliverResult:
            return finished(std::get<ipc::DeliverResult>(m));
        case ipc::MsgType::ControlRequest:
            return control(std::get<ipc::ControlRequest>(m));
        case ipc::MsgType::MessageRemoved:
            return removed(std::get<ipc::MessageRemoved>(m).msgid);
        case ipc::MsgType::MessagesDue:
            for (std::string const& msgid : std::get<ipc::MessagesDue>(m).msgids) {
                schedule_now(QueueTarget{QueueTarget::Kind::Message, msgid});
            }
            return start_ready();
        default:
            unexpected(Role::Scheduler, from, m);
        }
    }

  private:
    struct Entry {
        MessageTimes times;
        AttemptResult last = AttemptResult::None;  ///< of its last attempt, for deciding again
        std::shared_ptr<asio::steady_timer> timer; ///< set while waiting for its time
        bool removed = false; ///< by smtpctl remove while a delivery was in flight
        bool held = false;    ///< recipients of a paused kind are left (smtpctl pause)
    };

    void schedule(ipc::ScheduleMessage const& m) {
        Entry& entry = entries_[m.msgid];
        entry.times = MessageTimes{as_time(m.created), time_or_none(m.last_try), m.attempts,
                                   time_or_none(m.last_warn)};
        entry.last = AttemptResult::None;
        decide(m.msgid);
    }

    /// Applies the policy (scheduler/policy.hpp) until it says when to deliver, or the message
    /// is gone. A timer set for a later time decides again then, with the same last result, so
    /// a delay warning that comes due before the retry is sent on time.
    void decide(std::string const& msgid) {
        for (;;) {
            Entry& entry = entries_[msgid];
            SysSeconds const t = now_seconds();
            Decision const d = next_step(entry.times, entry.last, t, config_, retry_seed(msgid));
            if (auto const* at = std::get_if<DeliverAt>(&d)) {
                log_trace(Trace::Scheduler, "scheduler: msgid={} attempts={} deliver in {}s", msgid,
                          entry.times.attempts, std::max<std::int64_t>(0, (at->at - t).count()));
                return deliver_at(msgid, at->at, t);
            }
            if (auto const* warning = std::get_if<SendWarning>(&d)) {
                log_trace(Trace::Scheduler, "scheduler: msgid={} delay warning {} due", msgid,
                          warning->interval);
                peers_.send(Role::Queue, ipc::NotifySender{msgid, ipc::Notice::Delayed});
                entry.times.last_warning = t;
                continue;
            }
            if (std::holds_alternative<Expire>(d)) {
                log_info("scheduler: msgid={} expired", msgid);
                peers_.send(Role::Queue, ipc::NotifySender{msgid, ipc::Notice::Expired});
            }
            entries_.erase(msgid);
            return;
        }
    }

    void deliver_at(std::string const& msgid, SysSeconds at, SysSeconds t) {
        if (at <= t) {
            ready_.push_back(msgid);
            start_ready();
            return;
        }
        log_debug("scheduler: msgid={} next attempt in {}s", msgid, (at - t).count());
        auto timer = std::make_shared<asio::steady_timer>(io_, at - t);
        entries_[msgid].timer = timer;
        timer->async_wait([this, msgid](boost::system::error_code ec) {
            if (!ec) {
                entries_[msgid].timer.reset();
                decide(msgid);
            }
        });
    }

    void start_ready() {
        bool const all_paused = paused_mda_ && paused_mta_;
        while (!all_paused && in_flight_.size() < max_inflight_ && !ready_.empty()) {
            std::string msgid = std::move(ready_.front());
            ready_.pop_front();
            ipc::RequestId const id = next_id_++;
            in_flight_.emplace(id, msgid);
            peers_.send(Role::Queue,
                        ipc::DeliverRequest{id, std::move(msgid), !paused_mda_, !paused_mta_});
        }
    }

    /// smtpctl resume: the messages held back by the pause are due now.
    void release_held() {
        for (auto& [msgid, entry] : entries_) {
            if (entry.held && !entry.timer && !in_flight(msgid)) {
                entry.held = false;
                ready_.push_back(msgid);
            }
        }
    }

    void finished(ipc::DeliverResult const& result) {
        auto it = in_flight_.find(result.id);
        if (it == in_flight_.end()) {
            fatal("scheduler: DeliverResult for a delivery never requested");
        }
        std::string const msgid = std::move(it->second);
        in_flight_.erase(it);
        // A message smtpctl removed meanwhile is forgotten, whatever the result.
        auto const known = entries_.find(msgid);
        bool const gone = known == entries_.end() || known->second.removed;
        if (!gone && result.status == ipc::DeliveryStatus::TempFail) {
            Entry& entry = entries_[msgid];
            entry.held = result.held;
            ++entry.times.attempts;
            entry.times.last_attempt = now_seconds();
            entry.last = AttemptResult::TempFail;
            decide(msgid);
        } else if (!gone && result.held) {
            // Nothing failed, but recipients of a paused kind are left: no attempt counted, no
            // timer; the resume makes the message due again.
            entries_[msgid].held = true;
        } else {
            entries_.erase(msgid);
        }
        start_ready();
    }

    [[nodiscard]] bool in_flight(std::string const& msgid) const {
        return std::any_of(in_flight_.begin(), in_flight_.end(),
                           [&](auto const& f) { return f.second == msgid; });
    }

    /// smtpctl schedule: a message waiting for its next attempt is due now (its wait is reset,
    /// its attempt count kept); one already due stays so; one in flight is left alone. Returns
    /// how many messages are due.
    std::size_t schedule_now(QueueTarget const& target) {
        std::size_t due = 0;
        for (auto& [msgid, entry] : entries_) {
            if (target.kind != QueueTarget::Kind::All && msgid != target.msgid) {
                continue;
            }
            if (entry.timer) {
                entry.timer->cancel();
                entry.timer.reset();
                ready_.push_back(msgid);
                ++due;
            } else if (std::find(ready_.begin(), ready_.end(), msgid) != ready_.end()) {
                ++due;
            }
        }
        return due;
    }

    /// smtpctl remove took the last recipient of `msgid` out of the spool: forget it, or, when a
    /// delivery of it is in flight, drop that delivery's result.
    void removed(std::string const& msgid) {
        auto it = entries_.find(msgid);
        if (it == entries_.end()) {
            return;
        }
        if (it->second.timer) {
            it->second.timer->cancel();
        }
        std::erase(ready_, msgid);
        if (in_flight(msgid)) {
            it->second.removed = true;
            return;
        }
        entries_.erase(it);
    }

    /// smtpctl pause|resume mda|mta: which kind of delivery the queue is asked for.
    bool set_paused(ipc::ControlRequest const& request) {
        bool const pause = request.verb == ipc::ControlVerb::Pause;
        std::string const what = request.args.empty() ? std::string() : request.args.front();
        if (what != "mda" && what != "mta") {
            return false;
        }
        (what == "mda" ? paused_mda_ : paused_mta_) = pause;
        log_info("scheduler: {} {}", pause ? "paused" : "resumed", what);
        if (!pause) {
            release_held();
        }
        return true;
    }

    /// smtpctl schedule / pause / resume.
    void control(ipc::ControlRequest const& request) {
        ipc::ControlReply reply{request.id, true, {}};
        switch (request.verb) {
        case ipc::ControlVerb::Schedule:
            if (auto const target =
                    request.args.size() == 1 ? parse_queue_target(request.args[0]) : std::nullopt) {
                reply.lines.push_back(count_line(schedule_now(*target), "message", "scheduled"));
            } else {
                reply = ipc::ControlReply{request.id, false, {"invalid envelope or message id"}};
            }
            break;
        case ipc::ControlVerb::Pause:
        case ipc::ControlVerb::Resume:
            if (!set_paused(request)) {
                reply = ipc::ControlReply{request.id, false, {"pause and resume take mda or mta"}};
            }
            break;
        default:
            reply.ok = false;
            reply.lines.emplace_back("not a scheduler request");
        }
        peers_.send(Role::Control, reply);
        start_ready();
    }

    asio::io_context& io_;
    Peers& peers_;
    SchedulerConfig config_;
    std::size_t max_inflight_; ///< scheduler limit max-inflight
    std::map<std::string, Entry> entries_;
    std::deque<std::string> ready_;
    std::map<ipc::RequestId, std::string> in_flight_;
    ipc::RequestId next_id_ = 1;
    bool paused_mda_ = false;
    bool paused_mta_ = false;
};

} // namespace

int run_scheduler(DaemonOptions const& options, conf::Config const& config) {
    asio::io_context io;
    Peers peers = inherit_peers(io, Role::Scheduler);
    enter_jail_or_exit(Role::Scheduler, options);
    Scheduler scheduler(io, peers, SchedulerConfig{config.queue_ttl, config.bounce_warn_intervals},
                        config.limits.scheduler_max_inflight.value_or(kDefaultMaxInFlight),
                        options.paused_mda, options.paused_mta);
    start_serving(io, peers, scheduler);
    io.run();
    return 0;
}

} // namespace smtpd::rt

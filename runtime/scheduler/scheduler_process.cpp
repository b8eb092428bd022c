// The scheduler role: a ready list, the deliveries in flight, and a retry timer per message
// waiting after a temporary failure.
#include "scheduler/scheduler_process.hpp"

#include "common/log.hpp"
#include "parent/role_process.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>

namespace smtpd::rt {

namespace asio = boost::asio;

std::chrono::seconds retry_delay(unsigned attempts) {
    unsigned const shift = std::min(attempts, 6U);
    return std::min(std::chrono::seconds(60U << shift), std::chrono::seconds(3600));
}

namespace {

class Scheduler {
  public:
    Scheduler(asio::io_context& io, Peers& peers) : io_(io), peers_(peers) {}

    void on_message(Role from, ipc::Received received) {
        auto& m = received.message;
        switch (ipc::type_of(m)) {
        case ipc::MsgType::ScheduleMessage:
            return schedule(std::get<ipc::ScheduleMessage>(m).msgid);
        case ipc::MsgType::DeliverResult:
            return finished(std::get<ipc::DeliverResult>(m));
        case ipc::MsgType::ControlRequest:
            return control(std::get<ipc::ControlRequest>(m));
        default:
            unexpected(Role::Scheduler, from, m);
        }
    }

  private:
    struct Entry {
        unsigned attempts = 0;
        std::shared_ptr<asio::steady_timer> timer; ///< set while waiting to retry
    };

    void schedule(std::string const& msgid) {
        entries_.try_emplace(msgid);
        ready_.push_back(msgid);
        start_ready();
    }

    void start_ready() {
        while (!paused_ && in_flight_.size() < kMaxInFlight && !ready_.empty()) {
            std::string msgid = std::move(ready_.front());
            ready_.pop_front();
            ipc::RequestId const id = next_id_++;
            in_flight_.emplace(id, msgid);
            peers_.send(Role::Queue, ipc::DeliverRequest{id, std::move(msgid)});
        }
    }

    void finished(ipc::DeliverResult const& result) {
        auto it = in_flight_.find(result.id);
        if (it == in_flight_.end()) {
            fatal("scheduler: DeliverResult for a delivery never requested");
        }
        std::string const msgid = std::move(it->second);
        in_flight_.erase(it);
        if (result.status == ipc::DeliveryStatus::TempFail) {
            retry(msgid);
        } else {
            entries_.erase(msgid);
        }
        start_ready();
    }

    void retry(std::string const& msgid) {
        Entry& entry = entries_[msgid];
        auto const delay = retry_delay(entry.attempts++);
        log_debug("scheduler: msgid={} retry in {}s", msgid, delay.count());
        entry.timer = std::make_shared<asio::steady_timer>(io_, delay);
        entry.timer->async_wait([this, msgid](boost::system::error_code ec) {
            if (!ec) {
                entries_[msgid].timer.reset();
                ready_.push_back(msgid);
                start_ready();
            }
        });
    }

    /// smtpctl schedule all / pause / resume.
    void control(ipc::ControlRequest const& request) {
        ipc::ControlReply reply{request.id, true, {}};
        switch (request.verb) {
        case ipc::ControlVerb::ScheduleAll:
            for (auto& [msgid, entry] : entries_) {
                if (entry.timer) {
                    entry.timer->cancel();
                    entry.timer.reset();
                    ready_.push_back(msgid);
                }
            }
            break;
        case ipc::ControlVerb::Pause:
            paused_ = true;
            break;
        case ipc::ControlVerb::Resume:
            paused_ = false;
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
    std::map<std::string, Entry> entries_;
    std::deque<std::string> ready_;
    std::map<ipc::RequestId, std::string> in_flight_;
    ipc::RequestId next_id_ = 1;
    bool paused_ = false;
};

} // namespace

int run_scheduler(DaemonOptions const& options, conf::Config const& /*config*/) {
    asio::io_context io;
    auto peers = Peers::inherit(io.get_executor(), Role::Scheduler);
    if (!peers) {
        fatal(peers.error().message);
    }
    if (auto dropped = enter_jail(Role::Scheduler, options); !dropped) {
        fatal(dropped.error().message);
    }
    Scheduler scheduler(io, peers.value());
    peers.value().greet();
    peers.value().serve(
        io, [&scheduler](Role from, ipc::Received r) { scheduler.on_message(from, std::move(r)); });
    on_stop_signals(io, [&io](int) { io.stop(); });
    io.run();
    return 0;
}

} // namespace smtpd::rt

// The queue's coding and its corrupt messages (see queue_coding.hpp).
// Depends on: queue/queue_coding.hpp, spool/queue_key.hpp, common/log.hpp.
#include "queue/queue_coding.hpp"

#include "common/log.hpp"
#include "role/role_process.hpp"
#include "spool/queue_key.hpp"

#include <unistd.h>

namespace smtpd::rt {

namespace {

bool is_corrupt(Failure const& f) {
    return f.code == std::errc::illegal_byte_sequence;
}

} // namespace

SpoolCoding spool_coding(conf::Config const& config) {
    auto const& queue = config.queue;
    if (!queue.encryption) {
        return {queue.compression, std::nullopt};
    }
    if (queue.key_source == conf::QueueCoding::KeySource::Config) {
        return {queue.compression, queue.key};
    }
    auto key = read_queue_key(STDIN_FILENO);
    if (!key) {
        fatal("queue: " + key.error().what());
    }
    return {queue.compression, std::move(key).value()};
}

bool set_aside_if_corrupt(Spool& spool, std::string const& id,
                          Result<QueuedEnvelope> const& loaded) {
    Failure bad;
    if (!loaded) {
        bad = loaded.error();
    } else if (spool.coding().active()) {
        auto content = spool.open_content(id);
        if (content) {
            return false;
        }
        bad = content.error();
    } else {
        return false;
    }
    if (!is_corrupt(bad)) {
        return false;
    }
    auto moved = spool.set_aside(id);
    log_error("queue: msgid={} is corrupt ({}): not delivered, {}", id, bad.what(),
              moved ? "moved to corrupt/" : "cannot be moved to corrupt/: " + moved.error().what());
    return true;
}

} // namespace smtpd::rt

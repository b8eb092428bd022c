// The durable on-disk queue. Layout under the spool directory:
//   incoming/<id>/message   content being received (removed at start: never acknowledged)
//   queue/<id>/{message,envelope}   committed messages, waiting for delivery
// Commit order (the 250 promise): fsync message, write+fsync envelope, fsync incoming/<id>,
// rename incoming/<id> -> queue/<id> (atomic), fsync queue/ and incoming/. Only then is the
// message acknowledged. Removal after delivery unlinks the envelope first, so a crash midway
// leaves a directory recovery recognises as delivered.
// Depends on: common/, spool/envelope.hpp.
#pragma once

#include "common/fs.hpp"
#include "common/result.hpp"
#include "spool/envelope.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::rt {

/// A message being received. Write errors are remembered and reported at commit.
class IncomingMessage {
  public:
    [[nodiscard]] std::string const& id() const { return id_; }
    void write(std::string_view bytes);
    [[nodiscard]] std::error_code error() const { return error_; }
    /// A second descriptor of the content file, for the process that writes the content.
    [[nodiscard]] Result<Fd> share_fd() const;

  private:
    friend class Spool;
    IncomingMessage(std::string id, Fd fd) : id_(std::move(id)), fd_(std::move(fd)) {}
    std::string id_;
    Fd fd_;
    std::error_code error_;
};

class Spool {
  public:
    /// Opens (creating if needed) the spool at `root`.
    [[nodiscard]] static Result<Spool> open(std::string root);

    /// Starts a new message with a fresh id.
    [[nodiscard]] Result<IncomingMessage> begin();
    /// Makes the message and its envelope durable, then moves it into the queue.
    [[nodiscard]] Result<void> commit(IncomingMessage& message, QueuedEnvelope const& envelope);
    /// commit(), and on failure abort(): the error, or none once the message is durable.
    [[nodiscard]] Result<void> commit_or_drop(IncomingMessage& message,
                                              QueuedEnvelope const& envelope);
    /// Drops a message that will not be acknowledged.
    void abort(IncomingMessage& message);

    /// Removes incoming leftovers and half-removed entries; returns the ids to deliver.
    [[nodiscard]] std::vector<std::string> recover();
    /// Removes every message still in incoming/ (none was acknowledged); returns how many.
    std::size_t drop_incoming();
    /// The ids of the committed messages, in no particular order.
    [[nodiscard]] std::vector<std::string> queued_ids() const;
    [[nodiscard]] Result<QueuedEnvelope> load_envelope(std::string const& id) const;
    /// Replaces a queued envelope (attempt count, last error) durably.
    [[nodiscard]] Result<void> update_envelope(QueuedEnvelope const& envelope);
    [[nodiscard]] std::string message_path(std::string const& id) const;
    /// Removes a delivered message.
    [[nodiscard]] Result<void> remove(std::string const& id);

    [[nodiscard]] std::string const& root() const { return root_; }

  private:
    explicit Spool(std::string root) : root_(std::move(root)) {}
    [[nodiscard]] std::string incoming_dir() const { return root_ + "/incoming"; }
    [[nodiscard]] std::string queue_dir() const { return root_ + "/queue"; }

    std::string root_;
};

} // namespace smtpd::rt

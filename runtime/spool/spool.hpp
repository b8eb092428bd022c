// The durable on-disk queue (docs/arch/queue.md). incoming/<id>/message: content being received
// (removed at start); queue/<id>/{message,envelope}: committed, waiting; free/<id>: emptied
// directories of delivered messages, reused by begin(). Commit (the 250 promise): fsync message,
// write+fsync envelope, fsync incoming/<id>, rename to queue/<id>, fsync queue/ and incoming/.
// Removal moves the directory to free/ in one rename (or, free/ full, unlinks the envelope
// first), so a crash midway leaves it queued or gone, never half. Reuse spares the file system
// an inode allocation and release per file and message. Depends on: common/, spool/envelope.hpp.
#pragma once

#include "common/fs.hpp"
#include "common/result.hpp"
#include "spool/envelope.hpp"

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
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

/// How many emptied message directories free/ keeps.
inline constexpr std::size_t kMaxFree = 1024;

/// The names under free/; begin() takes them on the queue's event loop while removals on its
/// disk threads add them, hence the lock.
class FreeDirs {
  public:
    void add(std::vector<std::string> names);
    [[nodiscard]] std::optional<std::string> take();
    /// Reserves a place for one more; false when kMaxFree are kept or reserved already.
    [[nodiscard]] bool reserve();
    /// Fills a reserved place with `name`, or gives it back when `name` is empty.
    void put(std::string name);

  private:
    std::mutex mutex_;
    std::vector<std::string> names_;
    std::size_t reserved_ = 0;
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
    [[nodiscard]] std::string free_dir() const { return root_ + "/free"; }
    /// incoming/<id> made from a free directory, its message file emptied and open; none when
    /// no free directory could be used.
    [[nodiscard]] std::optional<IncomingMessage> reuse(std::string const& id);
    /// Moves `dir` to free/ and empties its files there; false, with nothing done, when free/
    /// is full or the move fails.
    [[nodiscard]] bool recycle(std::string const& dir, std::string const& id);

    std::string root_;
    std::shared_ptr<FreeDirs> free_ = std::make_shared<FreeDirs>();
};

} // namespace smtpd::rt

// The durable on-disk queue (docs/arch/queue.md): one file per message, its envelope in two
// slots at the start and its content after them (spool/message_file.hpp). queue/<id>.new: being
// received (removed at start); queue/<id>: committed; free/<id>: emptied files of delivered
// messages, reused by begin(). Commit (the 250 promise): write the envelope's slot, fsync the
// file, rename <id>.new to <id> within queue/, fsync queue/: two syncs. An envelope update
// writes the other slot and fdatasyncs; removal moves the file to free/ in one rename. Reuse
// spares the file system an inode allocation and release per message. With a SpoolCoding
// (queue compression, encryption) the envelope text and the content are stored coded: the
// content is coded in place at commit, before the file's fsync, so the syncs stay as they are;
// readers get a memfd of the decoded content. A file that does not decode is corrupt
// (errc::illegal_byte_sequence) and can be set aside in corrupt/.
// Depends on: common/, spool/coding.hpp, spool/envelope.hpp, spool/message_file.hpp.
#pragma once

#include "common/fs.hpp"
#include "common/result.hpp"
#include "spool/coding.hpp"
#include "spool/envelope.hpp"
#include "spool/message_file.hpp"

#include <cstddef>
#include <cstdint>
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
    /// A second descriptor of the file, positioned at the content, for the process that writes
    /// the content (it shares the file offset with this one).
    [[nodiscard]] Result<Fd> share_fd() const;

  private:
    friend class Spool;
    IncomingMessage(std::string id, Fd fd) : id_(std::move(id)), fd_(std::move(fd)) {}
    std::string id_;
    Fd fd_;
    std::error_code error_;
};

/// How many emptied message files free/ keeps.
inline constexpr std::size_t kMaxFree = 1024;

/// The names under free/; begin() takes them on the queue's event loop while removals on its
/// disk threads add them, hence the lock.
class FreeFiles {
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

/// Whether a removal is made durable before it returns (queue/ synced) or with the next sync
/// of queue/ (the next commit's, or the kernel's writeback).
enum class RemovalSync : std::uint8_t { Now, Later };

class Spool {
  public:
    /// Opens (creating if needed) the spool at `root`; what it stores is coded by `coding`.
    [[nodiscard]] static Result<Spool> open(std::string root, SpoolCoding coding = {});

    /// Starts a new message with a fresh id.
    [[nodiscard]] Result<IncomingMessage> begin();
    /// Makes the message and its envelope durable under queue/.
    [[nodiscard]] Result<void> commit(IncomingMessage& message, QueuedEnvelope const& envelope);
    /// commit(), and on failure abort(): the error, or none once the message is durable.
    [[nodiscard]] Result<void> commit_or_drop(IncomingMessage& message,
                                              QueuedEnvelope const& envelope);
    /// Drops a message that will not be acknowledged.
    void abort(IncomingMessage& message);

    /// Converts a spool of the directory layout, removes what was being received or copied;
    /// returns the ids to deliver.
    [[nodiscard]] std::vector<std::string> recover();
    /// Removes every message still being received (none was acknowledged); returns how many.
    std::size_t drop_incoming();
    /// The ids of the committed messages, in no particular order.
    [[nodiscard]] std::vector<std::string> queued_ids() const;
    [[nodiscard]] bool contains(std::string const& id) const;
    [[nodiscard]] Result<QueuedEnvelope> load_envelope(std::string const& id) const;
    /// Replaces a queued envelope (attempt count, last error) durably.
    [[nodiscard]] Result<void> update_envelope(QueuedEnvelope const& envelope);
    /// A descriptor of the queued message positioned at its content (deliveries read it to its
    /// end from there).
    [[nodiscard]] Result<Fd> open_content(std::string const& id) const;
    [[nodiscard]] Result<std::string> read_content(std::string const& id) const;
    /// Moves a message that does not decode (or whose file is damaged) to corrupt/<id>, out
    /// of the queue for good, as OpenSMTPD's queue_message_corrupt(); queue/ is synced.
    [[nodiscard]] Result<void> set_aside(std::string const& id);
    /// Removes a delivered message. RemovalSync::Later is for a message whose recipients a
    /// second delivery would find already delivered (Maildir): losing its removal to a crash
    /// costs a try that makes nothing, not a duplicate.
    [[nodiscard]] Result<void> remove(std::string const& id, RemovalSync sync = RemovalSync::Now);

    [[nodiscard]] std::string const& root() const { return root_; }
    [[nodiscard]] SpoolCoding const& coding() const { return coding_; }

  private:
    Spool(std::string root, SpoolCoding coding) : root_(std::move(root)), coding_(coding) {}
    [[nodiscard]] std::string queue_dir() const { return root_ + "/queue"; }
    [[nodiscard]] std::string free_dir() const { return root_ + "/free"; }
    [[nodiscard]] std::string corrupt_dir() const { return root_ + "/corrupt"; }
    /// The envelope's text as a slot holds it (coded).
    [[nodiscard]] Result<std::string> stored_envelope(QueuedEnvelope const& envelope) const;
    /// Codes the content written through `fd` from `offset` to its end, in place.
    [[nodiscard]] Result<void> code_content(int fd, std::uint64_t offset) const;
    /// A memfd holding the decoded content read from `stored` (positioned at the content).
    [[nodiscard]] Result<Fd> decoded(int stored) const;
    [[nodiscard]] std::string path(std::string const& id, std::string_view suffix = {}) const {
        return queue_dir() + "/" + id + std::string(suffix);
    }
    /// queue/<id>.new made from a free file, emptied and open; none when no free file could
    /// be used.
    [[nodiscard]] std::optional<Fd> reuse(std::string const& id);
    /// Moves `file` to free/ and empties it there; false, with nothing done, when free/ is full
    /// or the move fails.
    [[nodiscard]] bool recycle(std::string const& file, std::string const& id);
    /// Writes queue/<id> anew from `from`'s content with `slot` in slots sized for it: for an
    /// envelope that outgrew its slots.
    [[nodiscard]] Result<void> write_copy(int from, spoolfile::Header const& header,
                                          std::string const& id, spoolfile::Slot const& slot);
    /// The queue/<id>/ directories of the earlier layout become files, keeping their ids.
    void convert_directories();
    /// fsync of queue/, through the descriptor kept open for it.
    [[nodiscard]] Result<void> sync_queue_dir() const;

    std::string root_;
    SpoolCoding coding_;
    std::shared_ptr<Fd> queue_fd_; ///< queue/, open for its syncs
    std::shared_ptr<FreeFiles> free_ = std::make_shared<FreeFiles>();
};

} // namespace smtpd::rt

// The durable queue's file operations. See spool.hpp for the layout and the commit order.
#include "spool/spool.hpp"

#include "common/kill_point.hpp"
#include "common/log.hpp"
#include "common/random_id.hpp"

#include <cerrno>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace smtpd::rt {

namespace {

namespace sf = spoolfile;

constexpr unsigned kDirMode = 0700;
/// Names in queue/ with this character are never committed messages (<id>.new, <id>.grow).
constexpr char kSuffixMark = '.';
constexpr std::string_view kReceiving = ".new";
constexpr std::string_view kGrowing = ".grow";
/// What is read of a slot at first: most envelopes fit, so one pread(2) does.
constexpr std::size_t kFirstSlotRead = 4096;

struct Entry {
    std::string name;
    bool dir = false;
};

std::vector<Entry> list_dir(std::string const& path) {
    std::vector<Entry> entries;
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) {
        return entries;
    }
    while (dirent const* entry = ::readdir(dir)) {
        std::string name = entry->d_name;
        if (name == "." || name == "..") {
            continue;
        }
        bool is_dir = entry->d_type == DT_DIR;
        if (entry->d_type == DT_UNKNOWN) {
            struct stat st {};
            is_dir = ::stat((path + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
        }
        entries.push_back({std::move(name), is_dir});
    }
    ::closedir(dir);
    return entries;
}

void remove_tree(std::string const& path) {
    if (::unlink(path.c_str()) == 0 || errno != EISDIR) {
        return;
    }
    for (auto const& entry : list_dir(path)) {
        remove_tree(path + "/" + entry.name);
    }
    ::rmdir(path.c_str());
}

bool is_message_name(std::string_view name) {
    return name.find(kSuffixMark) == std::string_view::npos;
}

std::error_code corrupt() {
    return std::make_error_code(std::errc::illegal_byte_sequence);
}

std::optional<sf::Slot> read_slot(int fd, sf::Header const& header, int index) {
    std::uint64_t const at = header.slot_offset(index);
    auto bytes = read_at(fd, at, std::min<std::size_t>(header.slot_size, kFirstSlotRead));
    if (!bytes) {
        return std::nullopt;
    }
    auto const length = sf::slot_length(bytes.value());
    if (length && header.fits(*length) && bytes.value().size() < sf::kSlotHeaderSize + *length) {
        bytes = read_at(fd, at, sf::kSlotHeaderSize + *length);
        if (!bytes) {
            return std::nullopt;
        }
    }
    return sf::decode_slot(bytes.value(), header);
}

struct Loaded {
    sf::Header header;
    sf::Slot slot;
    int index = 0;
};

Result<sf::Header> read_header(int fd) {
    auto bytes = read_at(fd, 0, sf::kHeaderSize);
    if (!bytes) {
        return bytes.error();
    }
    auto header = sf::decode_header(bytes.value());
    if (!header) {
        return corrupt();
    }
    return *header;
}

Result<Loaded> load_file(int fd) {
    auto header = read_header(fd);
    if (!header) {
        return header.error();
    }
    std::optional<sf::Slot> slots[2] = {read_slot(fd, header.value(), 0),
                                        read_slot(fd, header.value(), 1)};
    auto const index = sf::current_slot(slots[0], slots[1]);
    if (!index) {
        return corrupt();
    }
    std::optional<sf::Slot>& current = slots[*index];
    if (!current) {
        return corrupt();
    }
    return Loaded{header.value(), std::move(*current), *index};
}

/// Writes a whole new file at `path`: header, `slot` in slot 0, then `content` (its pieces
/// given by `copy` as it writes them at the offset it is passed), and fsyncs it.
template <class Copy>
Result<void> write_file(std::string const& path, sf::Slot const& slot, Copy copy) {
    sf::Header const header = sf::header_for(slot.envelope.size());
    auto fd = open_file(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (!fd) {
        return fd.error();
    }
    int const out = fd.value().get();
    Result<void> r = write_all_at(out, sf::encode_header(header), 0);
    if (r) {
        r = write_all_at(out, sf::encode_slot(slot), header.slot_offset(0));
    }
    if (r) {
        r = copy(out, header.content_offset());
    }
    if (r) {
        r = sync_fd(out);
    }
    if (!r) {
        ::unlink(path.c_str());
    }
    return r;
}

/// Copies `from`'s content (from `in` to its end) to `out` at `at`, through the one read loop
/// over a queued message (for_each_piece). Moves both descriptors' offsets.
Result<void> copy_content(int from, std::uint64_t in, int out, std::uint64_t at) {
    if (::lseek(from, static_cast<off_t>(in), SEEK_SET) < 0 ||
        ::lseek(out, static_cast<off_t>(at), SEEK_SET) < 0) {
        return last_error();
    }
    return for_each_piece(from, {},
                          [out](std::string_view piece) { return write_all(out, piece); });
}

} // namespace

void FreeFiles::add(std::vector<std::string> names) {
    std::lock_guard const lock(mutex_);
    for (auto& name : names) {
        if (names_.size() + reserved_ < kMaxFree) {
            names_.push_back(std::move(name));
        }
    }
}

std::optional<std::string> FreeFiles::take() {
    std::lock_guard const lock(mutex_);
    if (names_.empty()) {
        return std::nullopt;
    }
    std::string name = std::move(names_.back());
    names_.pop_back();
    return name;
}

bool FreeFiles::reserve() {
    std::lock_guard const lock(mutex_);
    if (names_.size() + reserved_ >= kMaxFree) {
        return false;
    }
    ++reserved_;
    return true;
}

void FreeFiles::put(std::string name) {
    std::lock_guard const lock(mutex_);
    --reserved_;
    if (!name.empty()) {
        names_.push_back(std::move(name));
    }
}

void IncomingMessage::write(std::string_view bytes) {
    if (error_) {
        return;
    }
    if (auto r = write_all(fd_.get(), bytes); !r) {
        error_ = r.error().code;
    }
}

Result<Fd> IncomingMessage::share_fd() const {
    int const fd = ::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        return last_error();
    }
    return Fd(fd);
}

Result<void> Spool::sync_queue_dir() const {
    return sync_fd(queue_fd_->get());
}

Result<Spool> Spool::open(std::string root, SpoolCoding coding) {
    Spool spool(std::move(root), coding);
    for (auto const& dir : {spool.root_, spool.queue_dir(), spool.free_dir()}) {
        if (auto r = make_dirs(dir, kDirMode); !r) {
            return r.error();
        }
    }
    auto queue = open_file(spool.queue_dir(), O_RDONLY | O_DIRECTORY);
    if (!queue) {
        return queue.error();
    }
    spool.queue_fd_ = std::make_shared<Fd>(std::move(queue).value());
    std::vector<std::string> names;
    for (auto& entry : list_dir(spool.free_dir())) {
        if (entry.dir) { // an emptied directory of the earlier layout
            remove_tree(spool.free_dir() + "/" + entry.name);
        } else {
            names.push_back(std::move(entry.name));
        }
    }
    spool.free_->add(std::move(names));
    return spool;
}

std::optional<Fd> Spool::reuse(std::string const& id) {
    auto name = free_->take();
    if (!name) {
        return std::nullopt;
    }
    std::string const file = path(id, kReceiving);
    if (::renameat2(AT_FDCWD, (free_dir() + "/" + *name).c_str(), AT_FDCWD, file.c_str(),
                    RENAME_NOREPLACE) != 0) {
        if (errno != ENOENT) { // still there (the name is taken, queue/ unwritable): kept
            free_->add({std::move(*name)});
        }
        return std::nullopt; // a new file will do
    }
    // Emptied when it was freed: truncated again only if that failed (O_TRUNC costs a
    // truncation even of an empty file).
    auto fd = open_file(file, O_RDWR, 0600);
    struct stat st {};
    if (!fd || ::fstat(fd.value().get(), &st) != 0 ||
        (st.st_size != 0 && ::ftruncate(fd.value().get(), 0) != 0)) {
        ::unlink(file.c_str());
        return std::nullopt;
    }
    return std::move(fd).value();
}

bool Spool::recycle(std::string const& file, std::string const& id) {
    if (!free_->reserve()) {
        return false;
    }
    std::string const target = free_dir() + "/" + id;
    if (::renameat2(AT_FDCWD, file.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0) {
        free_->put({});
        return false;
    }
    // Emptied only once out of queue/: no queued message is ever seen truncated.
    static_cast<void>(::truncate(target.c_str(), 0));
    free_->put(id);
    return true;
}

Result<IncomingMessage> Spool::begin() {
    for (;;) {
        std::string id = random_id();
        std::string const file = path(id, kReceiving);
        auto fd = reuse(id);
        if (!fd) {
            auto made = open_file(file, O_RDWR | O_CREAT | O_EXCL, 0600);
            if (!made) {
                if (made.error().code == std::errc::file_exists) {
                    continue;
                }
                return made.error();
            }
            fd = std::move(made).value();
        }
        sf::Header const header;
        auto written = write_all_at(fd->get(), sf::encode_header(header), 0);
        if (written &&
            ::lseek(fd->get(), static_cast<off_t>(header.content_offset()), SEEK_SET) < 0) {
            written = last_error();
        }
        if (!written) {
            ::unlink(file.c_str());
            return written.error();
        }
        return IncomingMessage(std::move(id), std::move(*fd));
    }
}

Result<void> Spool::commit(IncomingMessage& message, QueuedEnvelope const& envelope) {
    if (message.error_) {
        return message.error_;
    }
    std::string const receiving = path(message.id_, kReceiving);
    sf::Header const header; // begin() wrote the default one
    auto text = stored_envelope(envelope);
    if (!text) {
        return text.error();
    }
    if (coding_.active()) {
        if (auto r = code_content(message.fd_.get(), header.content_offset()); !r) {
            return r.error();
        }
    }
    sf::Slot const slot{1, std::move(text).value()};
    if (!header.fits(slot.envelope.size())) {
        auto copied = write_copy(message.fd_.get(), header, message.id_, slot);
        message.fd_.reset();
        if (copied) {
            ::unlink(receiving.c_str()); // a leftover is removed at start if this is lost
        }
        return copied;
    }
    if (auto r = write_all_at(message.fd_.get(), sf::encode_slot(slot), header.slot_offset(0));
        !r) {
        return r.error();
    }
    if (auto r = sync_fd(message.fd_.get()); !r) {
        return r.error();
    }
    kill_point("after-content-fsync");
    message.fd_.reset();
    if (::renameat2(AT_FDCWD, receiving.c_str(), AT_FDCWD, path(message.id_).c_str(),
                    RENAME_NOREPLACE) != 0) {
        return last_error();
    }
    return sync_queue_dir();
}

Result<void> Spool::write_copy(int from, sf::Header const& header, std::string const& id,
                               sf::Slot const& slot) {
    std::string const growing = path(id, kGrowing);
    auto written = write_file(growing, slot, [&](int out, std::uint64_t at) {
        return copy_content(from, header.content_offset(), out, at);
    });
    if (!written) {
        return written.error();
    }
    if (::rename(growing.c_str(), path(id).c_str()) != 0) {
        auto const error = last_error();
        ::unlink(growing.c_str());
        return error;
    }
    return sync_queue_dir();
}

Result<void> Spool::commit_or_drop(IncomingMessage& message, QueuedEnvelope const& envelope) {
    auto r = commit(message, envelope);
    if (!r) {
        abort(message);
    }
    return r;
}

void Spool::abort(IncomingMessage& message) {
    message.fd_.reset();
    std::string const file = path(message.id_, kReceiving);
    if (!recycle(file, message.id_)) {
        ::unlink(file.c_str());
    }
}

std::size_t Spool::drop_incoming() {
    std::size_t dropped = 0;
    for (auto const& entry : list_dir(queue_dir())) {
        if (!is_message_name(entry.name) && !entry.dir) {
            dropped += entry.name.ends_with(kReceiving) ? 1 : 0;
            ::unlink((queue_dir() + "/" + entry.name).c_str());
        }
    }
    return dropped;
}

void Spool::convert_directories() {
    std::size_t converted = 0;
    for (auto const& entry : list_dir(queue_dir())) {
        std::string const dir = queue_dir() + "/" + entry.name;
        if (!entry.dir) {
            continue;
        }
        if (!is_message_name(entry.name)) { // swapped out by a conversion below
            remove_tree(dir);
            continue;
        }
        auto envelope = read_file(dir + "/envelope");
        auto content = read_file(dir + "/message");
        if (!envelope || !content) { // its removal after delivery was interrupted
            remove_tree(dir);
            continue;
        }
        std::string const growing = path(entry.name, kGrowing);
        // The earlier layout was never coded: coded now, as the spool's files are.
        auto text = coding_.encode(envelope.value());
        auto body = coding_.encode(content.value());
        if (!text || !body) {
            continue;
        }
        auto written =
            write_file(growing, sf::Slot{1, text.value()}, [&](int out, std::uint64_t at) {
                return write_all_at(out, body.value(), at);
            });
        // Exchanged, not renamed over: the directory stays until the file has its name.
        if (written &&
            ::renameat2(AT_FDCWD, growing.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) != 0) {
            written = last_error();
        }
        if (!written) {
            log_error("queue: msgid={} cannot convert to the one-file layout: {}", entry.name,
                      written.error().what());
            ::unlink(growing.c_str());
            continue;
        }
        if (sync_queue_dir()) {
            remove_tree(growing);
        }
        ++converted;
    }
    std::string const incoming = root_ + "/incoming"; // the earlier layout's: never acknowledged
    if (::access(incoming.c_str(), F_OK) == 0) {
        remove_tree(incoming);
    }
    if (converted != 0) {
        log_info("queue: {} message(s) converted from directories to files", converted);
    }
}

std::vector<std::string> Spool::recover() {
    convert_directories();
    static_cast<void>(drop_incoming());
    return queued_ids();
}

std::vector<std::string> Spool::queued_ids() const {
    std::vector<std::string> ids;
    for (auto& entry : list_dir(queue_dir())) {
        if (is_message_name(entry.name) && !entry.dir) {
            ids.push_back(std::move(entry.name));
        }
    }
    return ids;
}

bool Spool::contains(std::string const& id) const {
    return ::access(path(id).c_str(), F_OK) == 0;
}

Result<QueuedEnvelope> Spool::load_envelope(std::string const& id) const {
    auto fd = open_file(path(id), O_RDONLY);
    if (!fd) {
        return fd.error();
    }
    auto loaded = load_file(fd.value().get());
    if (!loaded) {
        return loaded.error();
    }
    auto text = coding_.decode(loaded.value().slot.envelope);
    if (!text) {
        return failure(text.error().code, "envelope: " + text.error().what());
    }
    auto envelope = decode_envelope(text.value());
    if (!envelope) {
        return corrupt();
    }
    return *envelope;
}

Result<void> Spool::update_envelope(QueuedEnvelope const& envelope) {
    auto fd = open_file(path(envelope.id), O_RDWR);
    if (!fd) {
        return fd.error();
    }
    auto loaded = load_file(fd.value().get());
    if (!loaded) {
        return loaded.error();
    }
    auto const& [header, current, index] = loaded.value();
    auto text = stored_envelope(envelope);
    if (!text) {
        return text.error();
    }
    sf::Slot const next{current.generation + 1, std::move(text).value()};
    if (!header.fits(next.envelope.size())) {
        return write_copy(fd.value().get(), header, envelope.id, next);
    }
    if (auto r =
            write_all_at(fd.value().get(), sf::encode_slot(next), header.slot_offset(1 - index));
        !r) {
        return r.error();
    }
    return sync_data(fd.value().get());
}

Result<Fd> Spool::open_content(std::string const& id) const {
    auto fd = open_file(path(id), O_RDONLY);
    if (!fd) {
        return fd.error();
    }
    auto header = read_header(fd.value().get());
    if (!header) {
        return header.error();
    }
    if (::lseek(fd.value().get(), static_cast<off_t>(header.value().content_offset()), SEEK_SET) <
        0) {
        return last_error();
    }
    if (!coding_.active()) {
        return fd;
    }
    return decoded(fd.value().get());
}

Result<std::string> Spool::read_content(std::string const& id) const {
    auto fd = open_content(id);
    if (!fd) {
        return fd.error();
    }
    return read_to_end(fd.value().get());
}

Result<void> Spool::remove(std::string const& id, RemovalSync sync) {
    std::string const file = path(id);
    if (!recycle(file, id) && ::unlink(file.c_str()) != 0) {
        return last_error();
    }
    if (sync == RemovalSync::Later) {
        return success();
    }
    return sync_queue_dir();
}

} // namespace smtpd::rt

// The durable queue's file operations. See spool.hpp for the layout and the commit order.
#include "spool/spool.hpp"

#include "common/kill_point.hpp"
#include "common/random_id.hpp"

#include <cerrno>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace smtpd::rt {

namespace {

constexpr unsigned kDirMode = 0700;

std::vector<std::string> list_dir(std::string const& path) {
    std::vector<std::string> names;
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) {
        return names;
    }
    while (dirent const* entry = ::readdir(dir)) {
        std::string name = entry->d_name;
        if (name != "." && name != "..") {
            names.push_back(std::move(name));
        }
    }
    ::closedir(dir);
    return names;
}

void remove_tree(std::string const& dir) {
    for (auto const& name : list_dir(dir)) {
        std::string const path = dir + "/" + name;
        if (::unlink(path.c_str()) != 0 && errno == EISDIR) {
            remove_tree(path);
        }
    }
    ::rmdir(dir.c_str());
}

bool exists(std::string const& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

} // namespace

void FreeDirs::add(std::vector<std::string> names) {
    std::lock_guard const lock(mutex_);
    for (auto& name : names) {
        if (names_.size() + reserved_ < kMaxFree) {
            names_.push_back(std::move(name));
        }
    }
}

std::optional<std::string> FreeDirs::take() {
    std::lock_guard const lock(mutex_);
    if (names_.empty()) {
        return std::nullopt;
    }
    std::string name = std::move(names_.back());
    names_.pop_back();
    return name;
}

bool FreeDirs::reserve() {
    std::lock_guard const lock(mutex_);
    if (names_.size() + reserved_ >= kMaxFree) {
        return false;
    }
    ++reserved_;
    return true;
}

void FreeDirs::put(std::string name) {
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

Result<Spool> Spool::open(std::string root) {
    Spool spool(std::move(root));
    for (auto const& dir :
         {spool.root_, spool.incoming_dir(), spool.queue_dir(), spool.free_dir()}) {
        if (auto r = make_dirs(dir, kDirMode); !r) {
            return r.error();
        }
    }
    spool.free_->add(list_dir(spool.free_dir()));
    return spool;
}

std::optional<IncomingMessage> Spool::reuse(std::string const& id) {
    auto name = free_->take();
    if (!name) {
        return std::nullopt;
    }
    std::string const dir = incoming_dir() + "/" + id;
    if (::renameat2(AT_FDCWD, (free_dir() + "/" + *name).c_str(), AT_FDCWD, dir.c_str(),
                    RENAME_NOREPLACE) != 0) {
        if (errno != ENOENT) { // still there (the id is taken, incoming/ unwritable): kept
            free_->add({std::move(*name)});
        }
        return std::nullopt; // a new directory will do
    }
    auto fd = open_file(dir + "/message", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (!fd) {
        remove_tree(dir);
        return std::nullopt;
    }
    return IncomingMessage(id, std::move(fd).value());
}

bool Spool::recycle(std::string const& dir, std::string const& id) {
    if (!free_->reserve()) {
        return false;
    }
    std::string const target = free_dir() + "/" + id;
    if (::renameat2(AT_FDCWD, dir.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0) {
        free_->put({});
        return false;
    }
    // Emptied only once out of queue/: no queued message is ever seen truncated.
    static_cast<void>(::truncate((target + "/message").c_str(), 0));
    static_cast<void>(::truncate((target + "/envelope").c_str(), 0));
    free_->put(id);
    return true;
}

Result<IncomingMessage> Spool::begin() {
    for (;;) {
        std::string id = random_id();
        if (auto reused = reuse(id)) {
            return std::move(*reused);
        }
        std::string const dir = incoming_dir() + "/" + id;
        if (::mkdir(dir.c_str(), kDirMode) != 0) {
            if (errno == EEXIST) {
                continue;
            }
            return last_error();
        }
        auto fd = open_file(dir + "/message", O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (!fd) {
            ::rmdir(dir.c_str());
            return fd.error();
        }
        return IncomingMessage(std::move(id), std::move(fd).value());
    }
}

Result<void> Spool::commit(IncomingMessage& message, QueuedEnvelope const& envelope) {
    if (message.error_) {
        return message.error_;
    }
    std::string const dir = incoming_dir() + "/" + message.id_;
    if (auto r = sync_fd(message.fd_.get()); !r) {
        return r.error();
    }
    kill_point("after-content-fsync");
    message.fd_.reset();
    // O_TRUNC: a reused directory holds the emptied envelope of an earlier message.
    if (auto r = write_file_synced(dir + "/envelope", encode_envelope(envelope), O_TRUNC); !r) {
        return r.error();
    }
    if (auto r = sync_dir(dir); !r) {
        return r.error();
    }
    std::string const target = queue_dir() + "/" + message.id_;
    if (::rename(dir.c_str(), target.c_str()) != 0) {
        return last_error();
    }
    if (auto r = sync_dir(queue_dir()); !r) {
        return r.error();
    }
    return sync_dir(incoming_dir());
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
    std::string const dir = incoming_dir() + "/" + message.id_;
    if (!recycle(dir, message.id_)) {
        remove_tree(dir);
    }
}

std::size_t Spool::drop_incoming() {
    auto const names = list_dir(incoming_dir());
    for (auto const& name : names) {
        remove_tree(incoming_dir() + "/" + name);
    }
    return names.size();
}

std::vector<std::string> Spool::recover() {
    static_cast<void>(drop_incoming());
    std::vector<std::string> ids;
    for (auto const& name : list_dir(queue_dir())) {
        std::string const dir = queue_dir() + "/" + name;
        if (exists(dir + "/envelope") && exists(dir + "/message")) {
            ids.push_back(name);
        } else {
            remove_tree(dir); // removal after delivery was interrupted
        }
    }
    return ids;
}

std::vector<std::string> Spool::queued_ids() const {
    return list_dir(queue_dir());
}

Result<QueuedEnvelope> Spool::load_envelope(std::string const& id) const {
    auto text = read_file(queue_dir() + "/" + id + "/envelope");
    if (!text) {
        return text.error();
    }
    auto envelope = decode_envelope(text.value());
    if (!envelope) {
        return std::make_error_code(std::errc::illegal_byte_sequence);
    }
    return *envelope;
}

Result<void> Spool::update_envelope(QueuedEnvelope const& envelope) {
    std::string const dir = queue_dir() + "/" + envelope.id;
    std::string const tmp = dir + "/envelope.new";
    if (auto r = write_file_synced(tmp, encode_envelope(envelope), O_TRUNC); !r) {
        return r.error();
    }
    if (::rename(tmp.c_str(), (dir + "/envelope").c_str()) != 0) {
        return last_error();
    }
    return sync_dir(dir);
}

std::string Spool::message_path(std::string const& id) const {
    return queue_dir() + "/" + id + "/message";
}

Result<void> Spool::remove(std::string const& id) {
    std::string const dir = queue_dir() + "/" + id;
    if (!recycle(dir, id)) {
        if (::unlink((dir + "/envelope").c_str()) != 0) {
            return last_error();
        }
        remove_tree(dir);
    }
    return sync_dir(queue_dir());
}

} // namespace smtpd::rt

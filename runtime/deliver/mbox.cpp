// mbox delivery: dotlock, open (O_NOFOLLOW, regular file, one link), fcntl lock, append, fsync;
// truncate back on any error. The dotlock is skipped, like Dovecot's "dotlock_try", when the
// spool directory does not let this user create it (Debian's /var/mail is root:mail 2775); the
// fcntl lock is then the only one. Quoting is mboxo on every line start (mail.local quotes only
// after a blank line; quoting every "From " line also protects readers that split on any).
#include "deliver/mbox.hpp"

#include "deliver/message_source.hpp"

#include "common/fs.hpp"
#include "common/result.hpp"
#include "deliver/maildir.hpp"

#include <array>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace smtpd::rt {

namespace {

using Clock = std::chrono::steady_clock;
using Kind = DeliveryOutcome::Kind;

constexpr std::string_view kFrom = "From ";

Failure fail_errno(std::string_view what) {
    auto const ec = last_error();
    return failure(ec, fmt::format("{}: {}", what, ec.message()));
}

Failure timed_out(std::string_view what) {
    return failure(std::make_error_code(std::errc::timed_out),
                   fmt::format("{}: lock timeout", what));
}

// A dotlock is stale when it is old (liblockfile: 5 minutes) or names a process that is gone.
bool dotlock_stale(std::string const& lock, std::chrono::seconds stale) {
    struct stat st {};
    if (::lstat(lock.c_str(), &st) != 0) {
        return false; // gone already: the next O_EXCL attempt will tell
    }
    if (std::time(nullptr) - st.st_mtime > stale.count()) {
        return true;
    }
    auto const text = read_file(lock);
    int pid = 0;
    if (!text || text.value().empty()) {
        return false;
    }
    auto const& s = text.value();
    auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), pid);
    return ec == std::errc{} && pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH;
}

/// Holds <mbox>.lock while alive; empty when the directory refused us one.
class DotLock {
  public:
    DotLock() = default;
    explicit DotLock(std::string path) : path_(std::move(path)) {}
    DotLock(DotLock&& other) noexcept : path_(std::exchange(other.path_, {})) {}
    DotLock& operator=(DotLock&&) = delete;
    DotLock(DotLock const&) = delete;
    DotLock& operator=(DotLock const&) = delete;
    ~DotLock() {
        if (!path_.empty()) {
            ::unlink(path_.c_str());
        }
    }

  private:
    std::string path_;
};

Result<DotLock> take_dotlock(std::string const& lock, Clock::time_point deadline,
                             MboxLocking const& locking) {
    for (;;) {
        auto fd = open_file(lock, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
        if (fd) {
            DotLock held(lock); // liblockfile writes the owner's pid
            if (auto r = write_all(fd.value().get(), fmt::format("{}\n", ::getpid())); !r) {
                return failure(r.error().code, fmt::format("{}: {}", lock, r.error().what()));
            }
            return held;
        }
        int const err = fd.error().code.value();
        if (err == EACCES || err == EPERM || err == EROFS) {
            return DotLock{};
        }
        if (err != EEXIST) {
            return failure(fd.error().code, fmt::format("{}: {}", lock, fd.error().what()));
        }
        if (dotlock_stale(lock, locking.stale)) {
            ::unlink(lock.c_str());
            continue;
        }
        if (Clock::now() >= deadline) {
            return timed_out(lock);
        }
        std::this_thread::sleep_for(locking.retry);
    }
}

// O_NONBLOCK: a FIFO without a reader fails with ENXIO instead of hanging.
Result<Fd> open_mbox(std::string const& path) {
    auto fd = open_file(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0600);
    if (!fd) {
        return failure(fd.error().code, fmt::format("{}: {}", path, fd.error().what()));
    }
    struct stat st {};
    if (::fstat(fd.value().get(), &st) != 0) {
        return fail_errno(path);
    }
    if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
        return failure(std::make_error_code(std::errc::invalid_argument),
                       fmt::format("{}: not a regular file with one link", path));
    }
    int const flags = ::fcntl(fd.value().get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.value().get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
        return fail_errno(path);
    }
    return std::move(fd).value();
}

Result<void> lock_fcntl(int fd, std::string const& path, Clock::time_point deadline,
                        MboxLocking const& locking) {
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    for (;;) {
        if (::fcntl(fd, F_SETLK, &fl) == 0) {
            return success();
        }
        if (errno != EACCES && errno != EAGAIN && errno != EINTR) {
            return fail_errno(path);
        }
        if (Clock::now() >= deadline) {
            return timed_out(path);
        }
        std::this_thread::sleep_for(locking.retry);
    }
}

Result<void> write_or_fail(int fd, std::string_view bytes, std::string const& path) {
    if (auto r = write_all(fd, bytes); !r) {
        return failure(r.error().code, fmt::format("{}: {}", path, r.error().what()));
    }
    return success();
}

// The From line, the prepended lines and the message, quoted; a blank line ends it.
Result<void> append_message(int out, MboxDelivery const& d) {
    auto in = open_message(d.message_path, d.message_fd);
    if (!in) {
        return failure(in.error().code, fmt::format("{}: {}", d.message_path, in.error().what()));
    }
    std::time_t const when = d.when != 0 ? d.when : std::time(nullptr);
    MboxQuoter quoter;
    std::string buf = mbox_from_line(d.sender, when) + quoter.feed(d.prepend);
    bool pending_cr = false;
    char last = '\n';
    auto copied = for_each_piece(in.value().get(), d.message_path, [&](std::string_view piece) {
        buf += quoter.feed(crlf_to_lf(piece, pending_cr));
        last = buf.empty() ? last : buf.back();
        auto written = write_or_fail(out, buf, d.mbox);
        buf.clear();
        return written;
    });
    if (!copied) {
        return copied;
    }
    buf += quoter.feed(pending_cr ? "\r" : "") + quoter.finish();
    last = buf.empty() ? last : buf.back();
    buf += last == '\n' ? "\n" : "\n\n"; // the blank line that separates messages
    return write_or_fail(out, buf, d.mbox);
}

Result<void> append_synced(int fd, MboxDelivery const& d, off_t old_size) {
    auto done = append_message(fd, d);
    if (done && ::fsync(fd) != 0) {
        done = fail_errno(d.mbox);
    }
    if (!done) {
        // No partial message may remain for a reader to see as mail.
        if (::ftruncate(fd, old_size) == 0) {
            static_cast<void>(::fsync(fd));
        }
    }
    return done;
}

Result<void> deliver_locked(MboxDelivery const& d, MboxLocking const& locking) {
    auto const deadline = Clock::now() + locking.timeout;
    auto dot = take_dotlock(d.mbox + ".lock", deadline, locking);
    if (!dot) {
        return dot.error();
    }
    auto fd = open_mbox(d.mbox);
    if (!fd) {
        return fd.error();
    }
    int const out = fd.value().get();
    if (auto r = lock_fcntl(out, d.mbox, deadline, locking); !r) {
        return r;
    }
    struct stat st {};
    if (::fstat(out, &st) != 0) {
        return fail_errno(d.mbox);
    }
    return append_synced(out, d, st.st_size);
}

// ELOOP: a symlink (O_NOFOLLOW); EISDIR, ENXIO (a FIFO), EINVAL (our "not a regular file"),
// EMLINK: the mailbox is not something to append to; waiting will not fix it.
Kind kind_of(std::error_code const& ec) {
    if (ec.category() != std::generic_category()) {
        return Kind::TempFail;
    }
    switch (ec.value()) {
    case ELOOP:
    case EISDIR:
    case ENXIO:
    case EINVAL:
    case EMLINK:
        return Kind::PermFail;
    default:
        return Kind::TempFail;
    }
}

} // namespace

std::string MboxQuoter::feed(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 8);
    for (char const c : text) {
        if (!line_start_) {
            out += c;
            line_start_ = c == '\n';
            continue;
        }
        held_ += c;
        if (kFrom.starts_with(held_)) {
            if (held_.size() == kFrom.size()) {
                out += '>';
                out += std::exchange(held_, {});
                line_start_ = false;
            }
            continue;
        }
        out += std::exchange(held_, {});
        line_start_ = c == '\n';
    }
    return out;
}

std::string MboxQuoter::finish() {
    line_start_ = true;
    return std::exchange(held_, {});
}

std::string mbox_from_line(std::string_view sender, std::time_t when) {
    static constexpr std::array<char const*, 7> kDays{"Sun", "Mon", "Tue", "Wed",
                                                      "Thu", "Fri", "Sat"};
    static constexpr std::array<char const*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm {};
    ::localtime_r(&when, &tm);
    std::string from = sender.empty() ? std::string("MAILER-DAEMON") : std::string(sender);
    for (char& c : from) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            c = '?'; // the From line must stay one line
        }
    }
    // ctime(3): "Thu Nov 24 18:22:48 1986", the day of the month padded with a space
    return fmt::format("From {} {} {} {:2} {:02}:{:02}:{:02} {}\n", from,
                       kDays.at(static_cast<std::size_t>(tm.tm_wday)),
                       kMonths.at(static_cast<std::size_t>(tm.tm_mon)), tm.tm_mday, tm.tm_hour,
                       tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
}

DeliveryOutcome deliver_mbox(MboxDelivery const& delivery, MboxLocking const& locking) {
    auto const done = deliver_locked(delivery, locking);
    if (done) {
        return {Kind::Delivered, "delivered to " + delivery.mbox};
    }
    return {kind_of(done.error().code), done.error().what()};
}

} // namespace smtpd::rt

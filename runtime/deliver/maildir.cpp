// Maildir delivery: tmp/ -> fsync -> new/ -> fsync new/. Unique names follow the maildir(5)
// convention time.M<usec>P<pid>Q<count>.<host>, with '/' and ':' in the host name replaced.
#include "deliver/maildir.hpp"

#include "common/fs.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

namespace smtpd::rt {

namespace {

constexpr unsigned kMaildirMode = 0700;

std::string unique_name(std::string_view hostname) {
    static std::atomic<unsigned long> counter{0};
    auto const now = std::chrono::system_clock::now().time_since_epoch();
    auto const secs = std::chrono::duration_cast<std::chrono::seconds>(now).count();
    auto const usec = std::chrono::duration_cast<std::chrono::microseconds>(now).count() % 1000000;
    std::string host(hostname);
    for (char& c : host) {
        if (c == '/' || c == ':') {
            c = '_';
        }
    }
    return fmt::format("{}.M{}P{}Q{}.{}", secs, usec, ::getpid(), ++counter, host);
}

Result<void> copy_converted(int in, int out) {
    char buf[65536];
    bool pending_cr = false;
    for (;;) {
        ssize_t const n = ::read(in, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return last_error();
        }
        if (n == 0) {
            break;
        }
        std::string const lf =
            crlf_to_lf(std::string_view(buf, static_cast<std::size_t>(n)), pending_cr);
        if (auto r = write_all(out, lf); !r) {
            return r.error();
        }
    }
    return pending_cr ? write_all(out, "\r") : success();
}

} // namespace

std::string crlf_to_lf(std::string_view text, bool& pending_cr) {
    std::string out;
    out.reserve(text.size() + 1);
    for (char c : text) {
        if (pending_cr) {
            pending_cr = false;
            if (c == '\n') {
                out += '\n';
                continue;
            }
            out += '\r';
        }
        if (c == '\r') {
            pending_cr = true;
        } else {
            out += c;
        }
    }
    return out;
}

Result<std::string> deliver_maildir(MaildirDelivery const& d, std::string_view hostname) {
    for (auto const* sub : {"/tmp", "/new", "/cur"}) {
        if (auto r = make_dirs(d.maildir + sub, kMaildirMode); !r) {
            return r.error();
        }
    }
    std::string const name = unique_name(hostname);
    std::string const tmp = d.maildir + "/tmp/" + name;
    std::string const dst = d.maildir + "/new/" + name;
    auto in = open_file(d.message_path, O_RDONLY);
    if (!in) {
        return in.error();
    }
    auto out = open_file(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (!out) {
        return out.error();
    }
    auto written = write_all(out.value().get(), d.prepend);
    if (written) {
        written = copy_converted(in.value().get(), out.value().get());
    }
    if (written) {
        written = sync_fd(out.value().get());
    }
    if (!written) {
        ::unlink(tmp.c_str());
        return written.error();
    }
    if (::rename(tmp.c_str(), dst.c_str()) != 0) {
        auto const err = last_error();
        ::unlink(tmp.c_str());
        return err;
    }
    if (auto r = sync_dir(d.maildir + "/new"); !r) {
        return r.error();
    }
    return dst;
}

} // namespace smtpd::rt

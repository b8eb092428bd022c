// Maildir delivery: tmp/ -> fsync -> new/ -> fsync new/. Unique names follow the maildir(5)
// convention time.M<usec>P<pid>Q<count>.<host>, with '/' and ':' in the host name replaced.
// With junk, spam (header_says_spam) goes to the .Junk folder, as OpenSMTPD's mail.maildir -j.
#include "deliver/maildir.hpp"

#include "common/fs.hpp"
#include "deliver/message_source.hpp"

#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <optional>
#include <unistd.h>

namespace smtpd::rt {

namespace {

constexpr unsigned kMaildirMode = 0700;

std::string safe_host(std::string_view hostname) {
    std::string host(hostname);
    for (char& c : host) {
        if (c == '/' || c == ':') {
            c = '_';
        }
    }
    return host;
}

std::string unique_name(std::string_view hostname) {
    static std::atomic<unsigned long> counter{0};
    auto const now = std::chrono::system_clock::now().time_since_epoch();
    auto const secs = std::chrono::duration_cast<std::chrono::seconds>(now).count();
    auto const usec = std::chrono::duration_cast<std::chrono::microseconds>(now).count() % 1000000;
    return fmt::format("{}.M{}P{}Q{}.{}", secs, usec, ::getpid(), ++counter, safe_host(hostname));
}

Result<void> copy_converted(int in, int out) {
    bool pending_cr = false;
    auto copied = for_each_piece(in, {}, [out, &pending_cr](std::string_view piece) {
        return write_all(out, crlf_to_lf(piece, pending_cr));
    });
    if (!copied) {
        return copied;
    }
    return pending_cr ? write_all(out, "\r") : success();
}

/// The earlier delivery named `name` in new/ or in cur/ (where a reader moves it, adding
/// ":2,flags"), if any.
std::optional<std::string> earlier_delivery(std::string const& maildir, std::string const& name) {
    std::string const in_new = maildir + "/new/" + name;
    if (::access(in_new.c_str(), F_OK) == 0) {
        return in_new;
    }
    DIR* dir = ::opendir((maildir + "/cur").c_str());
    if (dir == nullptr) {
        return std::nullopt;
    }
    std::optional<std::string> found;
    while (dirent const* entry = ::readdir(dir)) {
        std::string_view const entry_name = entry->d_name;
        if (entry_name == name ||
            (entry_name.starts_with(name) && entry_name[name.size()] == ':')) {
            found = maildir + "/cur/" + std::string(entry_name);
            break;
        }
    }
    ::closedir(dir);
    return found;
}

/// tmp/, new/ and cur/ exist: checked first, made (with any missing parent) only when one is
/// missing, since every delivery to a mailbox that has them would otherwise try a dozen mkdirs.
Result<void> ensure_maildir(std::string const& maildir) {
    for (auto const* sub : {"/tmp", "/new", "/cur"}) {
        std::string const dir = maildir + sub;
        if (::access(dir.c_str(), F_OK) == 0) {
            continue;
        }
        if (auto r = make_dirs(dir, kMaildirMode); !r) {
            return r.error();
        }
    }
    return success();
}

/// `path` once new/ is synced, unless the caller syncs it.
Result<std::string> synced(MaildirDelivery const& d, std::string path) {
    if (d.sync_new) {
        if (auto r = sync_dir(d.maildir + "/new"); !r) {
            return r.error();
        }
    }
    return path;
}

} // namespace

bool header_says_spam(int fd) {
    constexpr std::size_t kMaxScan = std::size_t{256} * 1024;
    off_t const start = ::lseek(fd, 0, SEEK_CUR);
    if (start < 0) {
        return false;
    }
    std::string text;
    std::array<char, 4096> buf{};
    std::size_t line_start = 0;
    while (text.size() < kMaxScan) {
        ssize_t const n =
            ::pread(fd, buf.data(), buf.size(), start + static_cast<off_t>(text.size()));
        if (n <= 0) {
            return false;
        }
        text.append(buf.data(), static_cast<std::size_t>(n));
        for (auto end = text.find('\n', line_start); end != std::string::npos;
             end = text.find('\n', line_start)) {
            std::string line = text.substr(line_start, end - line_start);
            line_start = end + 1;
            if (!line.empty() && line.back() == '\r') {
                line.pop_back();
            }
            if (line.empty()) {
                return false; // the end of the header
            }
            for (char& c : line) {
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
            if (line == "x-spam: yes" || line == "x-spam-flag: yes") {
                return true;
            }
        }
    }
    return false;
}

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

Result<std::string> deliver_maildir(MaildirDelivery const& given, std::string_view hostname) {
    auto in = open_message(given.message_path, given.message_fd);
    if (!in) {
        return in.error();
    }
    MaildirDelivery d = given;
    if (d.junk && header_says_spam(in.value().get())) {
        d.maildir += "/.Junk";
    }
    if (auto r = ensure_maildir(d.maildir); !r) {
        return r.error();
    }
    std::string const name =
        d.unique.empty() ? unique_name(hostname) : d.unique + "." + safe_host(hostname);
    if (!d.unique.empty() && d.may_exist) {
        // Found, it may be a delivery whose sync of new/ failed: synced now before it counts.
        if (auto earlier = earlier_delivery(d.maildir, name); earlier) {
            return synced(d, *earlier);
        }
    }
    std::string const tmp = d.maildir + "/tmp/" + name;
    std::string const dst = d.maildir + "/new/" + name;
    // A tmp/ file of a derived name is a crashed earlier attempt's: it is overwritten.
    int const exclusive = d.unique.empty() ? O_EXCL : O_TRUNC;
    auto out = open_file(tmp, O_WRONLY | O_CREAT | exclusive | O_NOFOLLOW, 0600);
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
    return synced(d, dst);
}

} // namespace smtpd::rt

// The Spool's coded storage (see spool.hpp and coding.hpp): envelope texts and content coded
// on their way in, content decoded into a memfd on its way out, and corrupt/ for the messages
// that do not decode. Depends on: spool/spool.hpp, spool/coding.hpp, common/fs.hpp.
#include "spool/spool.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace smtpd::rt {

namespace {

constexpr unsigned kDirMode = 0700;

} // namespace

Result<std::string> Spool::stored_envelope(QueuedEnvelope const& envelope) const {
    return coding_.encode(encode_envelope(envelope));
}

// OpenSMTPD's queue_message_commit() codes the content file (compression, then encryption)
// before it is committed; here in place, before the file's one fsync.
Result<void> Spool::code_content(int fd, std::uint64_t offset) const {
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        return last_error();
    }
    auto const size = static_cast<std::uint64_t>(st.st_size);
    auto plain = read_at(fd, offset, size > offset ? size - offset : 0);
    if (!plain) {
        return plain.error();
    }
    auto coded = coding_.encode(plain.value());
    if (!coded) {
        return coded.error();
    }
    if (auto r = write_all_at(fd, coded.value(), offset); !r) {
        return r.error();
    }
    if (::ftruncate(fd, static_cast<off_t>(offset + coded.value().size())) != 0) {
        return last_error();
    }
    return success();
}

Result<Fd> Spool::decoded(int stored) const {
    auto text = read_to_end(stored);
    if (!text) {
        return text.error();
    }
    auto plain = coding_.decode(text.value());
    if (!plain) {
        return failure(plain.error().code, "content: " + plain.error().what());
    }
    // Decoded into memory, never onto a disk: readers get a memfd at its start.
    Fd out(::memfd_create("smtpd-content", MFD_CLOEXEC));
    if (out.get() < 0) {
        return last_error();
    }
    if (auto r = write_all_at(out.get(), plain.value(), 0); !r) {
        return r.error();
    }
    return out;
}

Result<void> Spool::set_aside(std::string const& id) {
    if (auto made = make_dirs(corrupt_dir(), kDirMode); !made) { // made the first time only
        return made.error();
    }
    if (::rename(path(id).c_str(), (corrupt_dir() + "/" + id).c_str()) != 0) {
        return last_error();
    }
    return sync_queue_dir();
}

} // namespace smtpd::rt

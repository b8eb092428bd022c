// Where a delivery reads the queued message from: the descriptor the queue passed (a delivery
// child cannot open the spool, which belongs to the queue's user), or, in tests and tools, a
// path. Either way the caller gets its own descriptor positioned at the start of the message
// (the queue passes its spool file positioned at the content, after the envelope slots), and
// reads it to the end in pieces with common/fs.hpp's for_each_piece.
// Depends on: common/fs.hpp.
#pragma once

#include "common/fs.hpp"

#include <string>

namespace smtpd::rt {

/// A new descriptor reading the message from its start: a duplicate of `fd` when it is valid
/// (>= 0; not yet read from: it is where the message starts), else `path` opened read-only.
[[nodiscard]] Result<Fd> open_message(std::string const& path, int fd);

/// The whole message, from `fd` or `path` as above.
[[nodiscard]] Result<std::string> read_message(std::string const& path, int fd);

} // namespace smtpd::rt

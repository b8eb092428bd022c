// Fallible<T>: the old name of Result<T> (common/result.hpp), kept only while the call sites are
// renamed; the next commits remove it.
// Depends on: common/result.hpp.
#pragma once

#include "common/result.hpp"

namespace smtpd::rt {

template <class T> using Fallible = Result<T>;

} // namespace smtpd::rt

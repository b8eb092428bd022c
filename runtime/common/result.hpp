// Result<T>: a value or the std::error_code of the syscall that failed. Every function of runtime/
// that can fail returns one and is [[nodiscard]]. Boost.Outcome until std::expected (C++23).
// Depends on: Boost.Outcome.
#pragma once

#include <boost/outcome/std_result.hpp>
#include <boost/outcome/success_failure.hpp>

#include <cerrno>
#include <system_error>

namespace smtpd::rt {

template <class T> using Result = boost::outcome_v2::std_result<T>;

/// The error_code of the current errno.
[[nodiscard]] inline std::error_code last_error() {
    return {errno, std::generic_category()};
}

using boost::outcome_v2::success;

} // namespace smtpd::rt

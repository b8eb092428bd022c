// Fallible<T>: a value, or a Failure: the error_code plus a sentence for the log that names what
// failed ("/etc/ssl/mx.key: the key does not match the certificate /etc/ssl/mx.crt"). For set-up
// code whose errors a person must act on (TLS files, credential tables); the hot paths keep
// Result<T>. Boost.Outcome with a custom payload: value() on a failure throws std::system_error
// carrying the sentence, so check has_value() or has_error() first.
// Depends on: common/result.hpp, Boost.Outcome.
#pragma once

#include "common/result.hpp"

#include <boost/outcome/std_result.hpp>

#include <string>
#include <system_error>
#include <utility>

namespace smtpd::rt {

/// What went wrong, for a program (code) and for a person (message).
struct Failure {
    std::error_code code;
    std::string message;
};

/// Outcome's hook: the error_code of a Failure.
inline std::error_code make_error_code(Failure const& failure) {
    return failure.code;
}

/// Outcome's hook: value() on a failed Fallible throws this.
[[noreturn]] inline void outcome_throw_as_system_error_with_payload(Failure const& failure) {
    throw std::system_error(failure.code, failure.message);
}

template <class T> using Fallible = boost::outcome_v2::std_result<T, Failure>;

/// A Failure from a code and a message.
[[nodiscard]] inline Failure failure(std::error_code code, std::string message) {
    return Failure{code, std::move(message)};
}

} // namespace smtpd::rt

// Result<T>: the one error idiom of runtime/. A value, or a Failure: the std::error_code of what
// failed plus, where a person must act on it, a sentence for the log that names the thing
// ("/etc/ssl/mx.key: the key does not match the certificate /etc/ssl/mx.crt"); syscall paths leave
// the sentence empty and the log shows code.message(). Every function that can fail returns one
// and is [[nodiscard]]. value() on a failure throws std::system_error carrying the sentence, so
// check has_value() or has_error() first. Boost.Outcome until std::expected (C++23).
// Depends on: Boost.Outcome.
#pragma once

#include <boost/outcome/std_result.hpp>
#include <boost/outcome/success_failure.hpp>

#include <cerrno>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

namespace smtpd::rt {

/// What went wrong, for a program (code) and for a person (message, empty on syscall paths).
struct Failure {
    std::error_code code;
    std::string message;

    Failure() = default;
    /// Implicit, so that `return last_error();` and `return IpcErrc::…;` stay one line.
    Failure(std::error_code c) : code(c) {} // NOLINT(google-explicit-constructor)
    template <class E>
        requires std::is_error_code_enum_v<E>
    Failure(E e) : code(e) {} // NOLINT(google-explicit-constructor)
    Failure(std::error_code c, std::string m) : code(c), message(std::move(m)) {}

    /// The sentence for the log: the message, or the code's own text when there is none.
    [[nodiscard]] std::string what() const { return message.empty() ? code.message() : message; }
};

/// Outcome's hook: the error_code of a Failure.
inline std::error_code make_error_code(Failure const& failure) {
    return failure.code;
}

/// Outcome's hook: value() on a failed Result throws this.
[[noreturn]] inline void outcome_throw_as_system_error_with_payload(Failure const& failure) {
    throw std::system_error(failure.code, failure.message);
}

template <class T> using Result = boost::outcome_v2::std_result<T, Failure>;

/// A Failure from a code and a sentence.
[[nodiscard]] inline Failure failure(std::error_code code, std::string message) {
    return Failure{code, std::move(message)};
}

/// The error_code of the current errno.
[[nodiscard]] inline std::error_code last_error() {
    return {errno, std::generic_category()};
}

using boost::outcome_v2::success;

} // namespace smtpd::rt

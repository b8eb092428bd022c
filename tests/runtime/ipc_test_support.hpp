// Test helpers for ipc/: rapidcheck generators for every message (driven by each struct's
// `fields()`, so a new field is generated without a change here), a loop over every message
// type, and a runner for Asio coroutines that rethrows what they throw.
// Depends on: ipc/messages.hpp, rapidcheck, Boost.Asio.
#pragma once

#include "ipc/messages.hpp"

// <utility> before Asio: Boost 1.74's Asio needs it under C++20.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <rapidcheck.h>
#include <string>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

namespace smtpd::ipc::testing {

template <class T> struct IsVector : std::false_type {};
template <class T> struct IsVector<std::vector<T>> : std::true_type {};

template <class T> rc::Gen<T> field_gen() {
    if constexpr (requires(T& value) { T::fields(value); }) {
        // A struct field (ipc::RouteDestination): each of its fields from field_gen.
        return rc::gen::exec([] {
            T value{};
            std::apply([](auto&... f) { ((f = *field_gen<std::decay_t<decltype(f)>>()), ...); },
                       T::fields(value));
            return value;
        });
    } else if constexpr (std::is_enum_v<T>) {
        auto const last = static_cast<int>(last_value(T{}));
        return rc::gen::map(rc::gen::inRange(0, last + 1), [](int v) { return static_cast<T>(v); });
    } else if constexpr (std::is_same_v<T, std::string>) {
        // Every byte value, not only printable text.
        return rc::gen::container<std::string>(rc::gen::arbitrary<char>());
    } else if constexpr (IsVector<T>::value) {
        return rc::gen::container<T>(field_gen<typename T::value_type>());
    } else {
        return rc::gen::arbitrary<T>();
    }
}

/// Any value of message M: each field from field_gen.
template <class M> rc::Gen<M> message_gen() {
    return rc::gen::exec([] {
        M m{};
        std::apply(
            [](auto&... field) { ((field = *field_gen<std::decay_t<decltype(field)>>()), ...); },
            M::fields(m));
        return m;
    });
}

template <std::size_t... I> rc::Gen<Message> any_message_gen(std::index_sequence<I...> /*seq*/) {
    return rc::gen::oneOf(rc::gen::map(message_gen<std::variant_alternative_t<I, Message>>(),
                                       [](auto m) { return Message{std::move(m)}; })...);
}

/// Any message of any type.
inline rc::Gen<Message> any_message_gen() {
    return any_message_gen(std::make_index_sequence<kMsgTypeCount>{});
}

/// Calls f.template operator()<M>() for every message type M.
template <class F> void for_each_message_type(F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (f.template operator()<std::variant_alternative_t<I, Message>>(), ...);
    }(std::make_index_sequence<kMsgTypeCount>{});
}

/// Runs `coroutine` on `io` to completion of everything queued; rethrows its exception.
template <class Awaitable> void spawn(boost::asio::io_context& io, Awaitable coroutine) {
    boost::asio::co_spawn(io, std::move(coroutine), [](std::exception_ptr const& e) {
        if (e) {
            std::rethrow_exception(e);
        }
    });
}

} // namespace smtpd::ipc::testing

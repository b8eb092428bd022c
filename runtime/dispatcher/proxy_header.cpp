// read_proxy_header (see proxy_header.hpp): reads what the parser still needs and no more, and
// parses after every read so that a client that does not speak PROXY v2 is refused at its first
// octet.
#include "dispatcher/proxy_header.hpp"

#include "smtpd/grammar/proxy_v2.hpp"

#include <algorithm>
#include <array>
#include <span>
#include <string>

namespace smtpd::rt {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

tcp::endpoint to_endpoint(grammar::ProxyEndpoint const& e) {
    if (e.ipv6) {
        asio::ip::address_v6::bytes_type bytes{};
        std::copy(e.address.begin(), e.address.end(), bytes.begin());
        return {asio::ip::address_v6(bytes), e.port};
    }
    asio::ip::address_v4::bytes_type bytes{};
    std::copy_n(e.address.begin(), bytes.size(), bytes.begin());
    return {asio::ip::address_v4(bytes), e.port};
}

} // namespace

asio::awaitable<Result<std::optional<tcp::endpoint>>>
read_proxy_header(SmtpStream& stream, std::chrono::seconds timeout) {
    std::string got;
    std::size_t want = 16; // the fixed part; the parser then says how much more
    std::array<char, 512> buf{};
    // Each round reads at least one octet and `want` never exceeds 16 + 65535.
    for (;;) {
        std::size_t const room = std::min(buf.size(), want - got.size());
        auto reading = stream.read_some(std::span<char>(buf.data(), room), timeout);
        std::size_t const n = co_await std::move(reading);
        if (stream.timed_out()) {
            co_return failure(std::make_error_code(std::errc::timed_out),
                              "no PROXY v2 header in time");
        }
        if (n == 0) {
            co_return failure(std::make_error_code(std::errc::connection_aborted),
                              "closed before the end of the PROXY v2 header");
        }
        got.append(buf.data(), n);
        grammar::ProxyParse const parsed = grammar::parse_proxy_v2(got);
        if (auto const* error = std::get_if<grammar::ProxyError>(&parsed)) {
            co_return failure(std::make_error_code(std::errc::protocol_error),
                              std::string(grammar::describe(*error)));
        }
        if (auto const* more = std::get_if<grammar::ProxyNeedMore>(&parsed)) {
            want = std::max(want, more->at_least);
            continue;
        }
        auto const& header = std::get<grammar::ProxyHeader>(parsed);
        if (!header.source) {
            co_return std::optional<tcp::endpoint>();
        }
        co_return std::optional<tcp::endpoint>(to_endpoint(*header.source));
    }
}

} // namespace smtpd::rt

// Decoding of the record data that libunbound's ub_result carries (RFC 1035 §3.3.9, §3.4.1;
// RFC 3596 §2.2), in wire format with names uncompressed: MX (preference, exchange), A, AAAA.
// Every length is checked against the bytes present; a name is at most 255 octets of labels of
// 1 to 63 octets, letters, digits, '-' and '_' only, returned lower-case without the final dot
// (the root name "." is the empty string: RFC 7505's null MX). Pure: no I/O.
// Depends on: common/result.hpp, dns_error.hpp, Boost.Asio's ip::address (no I/O).
#pragma once

#include "common/result.hpp"

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace smtpd::rt::dns {

/// One MX record (RFC 1035 §3.3.9). `exchange` is lower-case, without the final dot; "" is ".".
struct MxRecord {
    std::uint16_t preference = 0;
    std::string exchange;
    bool operator==(MxRecord const&) const = default;
};

/// The rdata of one record, as ub_result's data[i] and len[i] give it.
using Rdata = std::span<std::uint8_t const>;

/// A domain name in uncompressed wire format filling all of `wire`, as text; nothing when any
/// length is out of bounds, a label holds another byte than LDH or '_', or a pointer appears.
[[nodiscard]] std::optional<std::string> decode_name(Rdata wire);

/// One MX rdata: a 16-bit preference in network order, then the exchange's name.
[[nodiscard]] std::optional<MxRecord> decode_mx(Rdata rdata);

/// Every MX rdata of an answer; malformed records are skipped, and an answer whose records are all
/// malformed is DnsErrc::BadAnswer (a temporary failure: a broken server, not a verdict).
[[nodiscard]] Result<std::vector<MxRecord>> decode_mx_answer(std::span<Rdata const> rdatas);

/// An A (4 octets) or AAAA (16 octets) rdata; nothing for any other length.
[[nodiscard]] std::optional<boost::asio::ip::address> decode_address(Rdata rdata);

} // namespace smtpd::rt::dns

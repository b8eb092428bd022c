// libFuzzer target for the table protocol reader (runtime/table/proc_protocol.hpp): a table
// process's lines are untrusted. Property: any line gives exactly one verdict for registration
// and for each request type; a lookup or fetch Found carries a non-empty value without a line
// break; Updated only answers update. abort() otherwise.
// Depends on: runtime/table/proc_protocol.hpp.
#include "table/proc_protocol.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace smtpd::rt::table;
    std::string_view const line(reinterpret_cast<char const*>(data), size);
    if (line.find('\n') != std::string_view::npos) {
        return 0; // the caller splits at newlines
    }
    (void)proc::parse_register(line);
    for (std::string_view const type : {"lookup", "check", "fetch", "update"}) {
        auto const answer = proc::parse_answer(line, type, "0000002a");
        if (auto const* found = std::get_if<proc::Found>(&answer)) {
            bool const valued = type == "lookup" || type == "fetch";
            if (valued && found->value.empty()) {
                std::abort();
            }
        }
        if (std::holds_alternative<proc::Updated>(answer) && type != "update") {
            std::abort();
        }
    }
    return 0;
}

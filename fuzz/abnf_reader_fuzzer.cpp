// libFuzzer target for the ABNF reader, printer and linker (grammar/reader/): any bytes go
// through read(), which must give a file or errors (never both, never neither) with every error
// at line >= 1 and column >= 1, and linking the file alone must return.
// Property (one, h11-style): when read(t) succeeds, read(print(read(t))) succeeds and has the
// same structure (abnf::same_structure); abort() otherwise.
// Depends on: reader/abnf.hpp.
#include "reader/abnf.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace smtpd::abnf;
    std::string_view const text(reinterpret_cast<char const*>(data), size);
    ReadResult const first = read(text, "fuzz.abnf");
    if (first.file.has_value() == !first.errors.empty()) {
        std::abort();
    }
    for (Error const& e : first.errors) {
        if (e.where.line == 0 || e.where.column == 0 || e.to_string().empty()) {
            std::abort();
        }
    }
    if (!first.file) {
        return 0;
    }
    std::string const printed = print(*first.file);
    ReadResult const again = read(printed, "fuzz.abnf");
    if (!again.file || !same_structure(*first.file, *again.file)) {
        std::abort();
    }
    (void)link({*first.file});
    return 0;
}

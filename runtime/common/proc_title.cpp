// Rewriting argv in place for ps(1).
#include "common/proc_title.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <sys/prctl.h>

namespace smtpd::rt {

namespace {

char* g_area = nullptr;     // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)
std::size_t g_capacity = 0; // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

} // namespace

void init_proc_title(int argc, char** argv) {
    if (argc <= 0 || argv == nullptr || argv[0] == nullptr) {
        return;
    }
    g_area = argv[0];
    char* end = argv[0] + std::strlen(argv[0]);
    for (int i = 1; i < argc; ++i) {
        // Only the contiguous run of strings is ours to rewrite.
        if (argv[i] != end + 1) {
            break;
        }
        end = argv[i] + std::strlen(argv[i]);
    }
    g_capacity = static_cast<std::size_t>(end - g_area);
}

void set_proc_title(std::string_view title) {
    std::string const short_name(title.substr(0, 15));
    ::prctl(PR_SET_NAME, short_name.c_str(), 0, 0, 0);
    if (g_area == nullptr) {
        return;
    }
    std::size_t const n = std::min(title.size(), g_capacity);
    std::memcpy(g_area, title.data(), n);
    std::memset(g_area + n, 0, g_capacity + 1 - n);
}

} // namespace smtpd::rt

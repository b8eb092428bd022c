// A libFuzzer-compatible driver for builds without libFuzzer (the g++ product build): replays
// every file of the corpus directories given as arguments through LLVMFuzzerTestOneInput once.
// Depends on: the standard library only.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void replay_file(std::filesystem::path const& path) {
    std::ifstream in(path, std::ios::binary);
    std::string const bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

} // namespace

int main(int argc, char** argv) {
    std::size_t count = 0;
    for (int i = 1; i < argc; ++i) {
        std::filesystem::path const root(argv[i]);
        if (std::filesystem::is_regular_file(root)) {
            replay_file(root);
            ++count;
            continue;
        }
        for (auto const& entry : std::filesystem::recursive_directory_iterator(root)) {
            if (entry.is_regular_file()) {
                replay_file(entry.path());
                ++count;
            }
        }
    }
    std::cout << "replayed " << count << " inputs\n";
    return 0;
}

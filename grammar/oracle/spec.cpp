// load_spec (spec.hpp): only the "files" lines of a spec matter here.
// Depends on: spec.hpp.
#include "oracle/spec.hpp"

#include <fstream>
#include <sstream>
#include <vector>

namespace smtpd::oracle {

abnf::LinkResult load_spec(std::string const& spec_path, std::string const& abnf_dir) {
    std::ifstream in(spec_path);
    if (!in) {
        return {std::nullopt, {abnf::Error{{spec_path, 0, 0}, "cannot read the spec"}}};
    }
    std::vector<std::string> paths;
    for (std::string line; std::getline(in, line);) {
        std::istringstream words(line.substr(0, line.find('#')));
        std::string word;
        if (words >> word && word == "files") {
            while (words >> word) {
                paths.push_back(abnf_dir + "/" + word + ".abnf");
            }
        }
    }
    return abnf::load(paths);
}

} // namespace smtpd::oracle

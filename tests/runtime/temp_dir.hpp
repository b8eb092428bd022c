// Test helper: a fresh temporary directory, removed with its contents at the end of the test.
// Depends on: the standard library only.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace smtpd::rt::testing {

class TempDir {
  public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "smtpd-test-XXXXXX").string();
        path_ = ::mkdtemp(tmpl.data());
    }
    TempDir(TempDir const&) = delete;
    TempDir& operator=(TempDir const&) = delete;
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    [[nodiscard]] std::string const& path() const { return path_; }

  private:
    std::string path_;
};

} // namespace smtpd::rt::testing

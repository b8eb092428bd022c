// The `getpwnam` backend (OpenSMTPD's table_getpwnam.c): the userinfo service only, answered
// from the system's users as "uid:gid:home", the form of a userbase table's values.
// Depends on: table.hpp, backends.hpp, getpwnam_r(3).
#include "table/backends.hpp"

#include <pwd.h>

namespace smtpd::rt::table {

namespace {

class GetpwnamTable final : public Table {
  public:
    using Table::Table;

    [[nodiscard]] std::string_view backend() const override { return "getpwnam"; }

    Result<std::optional<std::string>> lookup(Service service, std::string_view key) override {
        if (service != Service::Userinfo) {
            return failure(std::make_error_code(std::errc::not_supported),
                           "table <" + name() + ">: getpwnam serves only userinfo lookups");
        }
        std::string const user(key);
        std::vector<char> buf(16384);
        passwd pw{};
        passwd* found = nullptr;
        int const rc = ::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
        if (rc != 0 && rc != ENOENT && rc != ESRCH) {
            return failure(std::error_code(rc, std::generic_category()), "getpwnam_r");
        }
        if (found == nullptr) {
            return std::optional<std::string>();
        }
        return std::optional<std::string>(std::to_string(pw.pw_uid) + ":" +
                                          std::to_string(pw.pw_gid) + ":" + pw.pw_dir);
    }
};

} // namespace

std::unique_ptr<Table> make_getpwnam_table(std::string name) {
    return std::make_unique<GetpwnamTable>(std::move(name));
}

} // namespace smtpd::rt::table

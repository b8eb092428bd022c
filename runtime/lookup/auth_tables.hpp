// The credentials of each `listen on ... auth <table>` line, loaded by the lookup role before it
// drops privileges. A listener without a table (or without auth) checks the system's users,
// which only the parent can read (/etc/shadow). Depends on: grammar/ (conf AST), auth/.
#pragma once

#include "auth/credentials.hpp"
#include "common/result.hpp"
#include "conf/ast.hpp"

#include <memory>
#include <vector>

namespace smtpd::rt {

/// One entry per `listen on` line, in order; null means the system's users.
using ListenerCredentials = std::vector<std::shared_ptr<auth::Credentials const>>;

[[nodiscard]] Result<ListenerCredentials> load_listener_credentials(conf::Config const& config);

} // namespace smtpd::rt

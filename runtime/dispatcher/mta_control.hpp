// The dispatcher's answers to smtpctl (through the control role): `show hosts`, `show relays`,
// `show routes` and `show hoststats` list the MTA's tables, one reply line per entry in
// OpenSMTPD's layout (mta.c), as Mta::show gives them; an empty table is an ok reply without
// lines. The one place that maps a control verb to an MTA table.
// Depends on: ipc/messages.hpp, mta/mta.hpp.
#pragma once

#include "ipc/messages.hpp"
#include "mta/mta.hpp"

#include <optional>

namespace smtpd::rt {

/// The MTA table `verb` lists, or none when the dispatcher does not answer that verb.
[[nodiscard]] std::optional<mta::MtaShow> mta_table_of(ipc::ControlVerb verb);

/// The reply to `request`: the lines of its table, or a refusal for a verb that names none.
[[nodiscard]] ipc::ControlReply answer_control(mta::Mta const& mta,
                                               ipc::ControlRequest const& request);

} // namespace smtpd::rt

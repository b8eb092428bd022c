// show hosts|relays|routes|hoststats, for the dispatcher role (dispatcher/mta_control.hpp).
#include "dispatcher/mta_control.hpp"

namespace smtpd::rt {

std::optional<mta::MtaShow> mta_table_of(ipc::ControlVerb verb) {
    switch (verb) {
    case ipc::ControlVerb::ShowHosts:
        return mta::MtaShow::Hosts;
    case ipc::ControlVerb::ShowRelays:
        return mta::MtaShow::Relays;
    case ipc::ControlVerb::ShowRoutes:
        return mta::MtaShow::Routes;
    case ipc::ControlVerb::ShowHostStats:
        return mta::MtaShow::HostStats;
    default:
        return std::nullopt;
    }
}

ipc::ControlReply answer_control(mta::Mta const& mta, ipc::ControlRequest const& request) {
    auto const table = mta_table_of(request.verb);
    if (!table) {
        return ipc::ControlReply{request.id, false, {"not a dispatcher request"}};
    }
    return ipc::ControlReply{request.id, true, mta.show(*table)};
}

} // namespace smtpd::rt

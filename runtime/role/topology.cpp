// The derived views of kPeers and kChildRoles.
#include "role/topology.hpp"

#include <algorithm>

namespace smtpd::rt {

std::string_view role_name(Role role) {
    if (role == Role::Parent) {
        return "parent";
    }
    RoleInfo const* info = role_info(role);
    return info != nullptr ? info->name : "unknown";
}

std::optional<Role> role_from_name(std::string_view name) {
    auto const it = std::find_if(kChildRoles.begin(), kChildRoles.end(),
                                 [name](RoleInfo const& r) { return r.name == name; });
    if (it == kChildRoles.end()) {
        return std::nullopt;
    }
    return it->role;
}

RoleInfo const* role_info(Role role) {
    auto const it = std::find_if(kChildRoles.begin(), kChildRoles.end(),
                                 [role](RoleInfo const& r) { return r.role == role; });
    return it == kChildRoles.end() ? nullptr : &*it;
}

std::vector<PeerEnd> peers_of(Role role) {
    std::vector<PeerEnd> ends;
    for (std::size_t i = 0; i < kPeers.size(); ++i) {
        PeerLink const& link = kPeers[i];
        if (link.a != role && link.b != role) {
            continue;
        }
        Role const peer = link.a == role ? link.b : link.a;
        ends.push_back({i, peer, kFirstChannelFd + static_cast<int>(ends.size())});
    }
    return ends;
}

} // namespace smtpd::rt

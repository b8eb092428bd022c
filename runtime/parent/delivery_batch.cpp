// One sync per directory for a worker's batch of deliveries.
#include "parent/delivery_batch.hpp"

#include <map>
#include <utility>

namespace smtpd::rt {

std::vector<ipc::LocalDeliveryDone> DeliveryBatch::finish(SyncDir const& sync) {
    std::map<std::string, Result<void>> synced; // each directory once, in the order first owed
    for (LocalOutcome const& o : outcomes_) {
        if (!o.unsynced_dir.empty() && !synced.contains(o.unsynced_dir)) {
            synced.emplace(o.unsynced_dir, sync(o.unsynced_dir));
        }
    }
    std::vector<ipc::LocalDeliveryDone> dones;
    dones.reserve(outcomes_.size());
    for (LocalOutcome& o : std::exchange(outcomes_, {})) {
        if (!o.unsynced_dir.empty()) {
            if (Result<void> const& r = synced.at(o.unsynced_dir); !r) {
                o.done.status = ipc::DeliveryStatus::TempFail;
                o.done.text = "cannot sync " + o.unsynced_dir + ": " + r.error().what();
            }
        }
        dones.push_back(std::move(o.done));
    }
    return dones;
}

} // namespace smtpd::rt

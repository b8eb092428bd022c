// The deliveries a worker makes one after another before it answers any of them: each
// Maildir delivery renames its file into new/, and new/ is then synced once for all the
// deliveries that renamed into it (one flush of the disk for a batch, not one per message).
// An outcome is reported only after the sync of its directory; a failed sync turns the
// deliveries into that directory into temporary failures (a retry finds each file by its name
// and syncs again, deliver/maildir.hpp). Depends on: parent/local_delivery.hpp.
#pragma once

#include "common/result.hpp"
#include "parent/local_delivery.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace smtpd::rt {

/// How many deliveries a worker makes before it syncs and answers.
inline constexpr std::size_t kBatchMax = 16;

class DeliveryBatch {
  public:
    /// Syncs one directory (sync_dir; a recording fake in the tests).
    using SyncDir = std::function<Result<void>(std::string const&)>;

    void add(LocalOutcome outcome) { outcomes_.push_back(std::move(outcome)); }
    [[nodiscard]] std::size_t size() const { return outcomes_.size(); }

    /// Syncs each directory owed once, in the order first owed, and gives every outcome back in
    /// the order added; the batch is empty after.
    [[nodiscard]] std::vector<ipc::LocalDeliveryDone> finish(SyncDir const& sync);

  private:
    std::vector<LocalOutcome> outcomes_;
};

} // namespace smtpd::rt

// DeliveryBatch (runtime/parent/delivery_batch.hpp): a worker's batch syncs each directory it
// owes once, whatever the number of deliveries into it, and answers every delivery in the order
// made; the deliveries into a directory whose sync failed become temporary failures, the others
// keep their outcome.
#include "parent/delivery_batch.hpp"

#include <gtest/gtest.h>

#include <system_error>

namespace smtpd::rt {
namespace {

using Status = ipc::DeliveryStatus;

LocalOutcome outcome(ipc::RequestId id, Status status, std::string dir) {
    return {{id, status, "path=" + std::to_string(id)}, std::move(dir)};
}

TEST(DeliveryBatch, SyncsEachDirectoryOnceAndAnswersInOrder) {
    DeliveryBatch batch;
    batch.add(outcome(1, Status::Delivered, "/m/a/new"));
    batch.add(outcome(2, Status::Delivered, "/m/b/new"));
    batch.add(outcome(3, Status::Delivered, "/m/a/new"));
    batch.add(outcome(4, Status::PermFail, ""));
    batch.add(outcome(5, Status::Delivered, "/m/a/new"));
    std::vector<std::string> synced;
    auto dones = batch.finish([&synced](std::string const& dir) -> Result<void> {
        synced.push_back(dir);
        return success();
    });
    EXPECT_EQ(synced, (std::vector<std::string>{"/m/a/new", "/m/b/new"}));
    ASSERT_EQ(dones.size(), 5U);
    for (std::size_t i = 0; i < dones.size(); ++i) {
        EXPECT_EQ(dones[i].id, i + 1);
        EXPECT_EQ(dones[i].text, "path=" + std::to_string(i + 1));
    }
    EXPECT_EQ(dones[3].status, Status::PermFail);
    EXPECT_EQ(dones[4].status, Status::Delivered);
    EXPECT_EQ(batch.size(), 0U);
}

TEST(DeliveryBatch, AFailedSyncMakesItsDeliveriesTemporaryFailures) {
    DeliveryBatch batch;
    batch.add(outcome(1, Status::Delivered, "/m/a/new"));
    batch.add(outcome(2, Status::Delivered, "/m/b/new"));
    batch.add(outcome(3, Status::Delivered, "/m/a/new"));
    auto dones = batch.finish([](std::string const& dir) -> Result<void> {
        if (dir == "/m/a/new") {
            return std::make_error_code(std::errc::io_error);
        }
        return success();
    });
    ASSERT_EQ(dones.size(), 3U);
    EXPECT_EQ(dones[0].status, Status::TempFail);
    EXPECT_NE(dones[0].text.find("cannot sync /m/a/new"), std::string::npos) << dones[0].text;
    EXPECT_EQ(dones[1].status, Status::Delivered);
    EXPECT_EQ(dones[2].status, Status::TempFail);
}

TEST(DeliveryBatch, NothingOwedSyncsNothing) {
    DeliveryBatch batch;
    batch.add(outcome(1, Status::Delivered, ""));
    int syncs = 0;
    auto dones = batch.finish([&syncs](std::string const&) -> Result<void> {
        ++syncs;
        return success();
    });
    EXPECT_EQ(syncs, 0);
    ASSERT_EQ(dones.size(), 1U);
    EXPECT_EQ(dones[0].status, Status::Delivered);
}

} // namespace
} // namespace smtpd::rt

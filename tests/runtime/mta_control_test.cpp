// The dispatcher's answers to smtpctl (dispatcher/mta_control.hpp): each of show hosts, relays,
// routes and hoststats names its MTA table, every verb the verb table (control/verbs.hpp) routes
// to the dispatcher is one of them and no other verb is, and the reply carries the MTA's lines
// under the request's id; a verb that names no table is refused.
#include "dispatcher/mta_control.hpp"

#include "control/verbs.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <utility>

namespace smtpd::rt {
namespace {

TEST(MtaControl, EachShowVerbNamesItsTable) {
    EXPECT_EQ(mta_table_of(ipc::ControlVerb::ShowHosts), mta::MtaShow::Hosts);
    EXPECT_EQ(mta_table_of(ipc::ControlVerb::ShowRelays), mta::MtaShow::Relays);
    EXPECT_EQ(mta_table_of(ipc::ControlVerb::ShowRoutes), mta::MtaShow::Routes);
    EXPECT_EQ(mta_table_of(ipc::ControlVerb::ShowHostStats), mta::MtaShow::HostStats);
}

TEST(MtaControl, TheDispatcherAnswersExactlyTheVerbsRoutedToIt) {
    for (VerbRule const& rule : kVerbRules) {
        EXPECT_EQ(mta_table_of(rule.verb).has_value(), rule.answers == ipc::Role::Dispatcher)
            << rule.name;
    }
}

class MtaControlReply : public ::testing::Test {
  protected:
    boost::asio::io_context io_;
    conf::Config config_;
    mta::Mta mta_{io_.get_executor(), config_, "mx.example", mta::MtaServices{},
                  mta::ClientContexts{}};
};

TEST_F(MtaControlReply, CarriesTheTablesLinesUnderTheRequestsId) {
    for (auto const& [verb, table] :
         {std::pair{ipc::ControlVerb::ShowHosts, mta::MtaShow::Hosts},
          std::pair{ipc::ControlVerb::ShowRelays, mta::MtaShow::Relays},
          std::pair{ipc::ControlVerb::ShowRoutes, mta::MtaShow::Routes},
          std::pair{ipc::ControlVerb::ShowHostStats, mta::MtaShow::HostStats}}) {
        EXPECT_EQ(answer_control(mta_, ipc::ControlRequest{41, verb, {}}),
                  (ipc::ControlReply{41, true, mta_.show(table)}));
    }
}

TEST_F(MtaControlReply, RefusesAVerbThatNamesNoTable) {
    EXPECT_EQ(answer_control(mta_, ipc::ControlRequest{42, ipc::ControlVerb::Stop, {}}),
              (ipc::ControlReply{42, false, {"not a dispatcher request"}}));
    EXPECT_EQ(answer_control(mta_, ipc::ControlRequest{43, ipc::ControlVerb::ShowQueue, {}}),
              (ipc::ControlReply{43, false, {"not a dispatcher request"}}));
}

} // namespace
} // namespace smtpd::rt

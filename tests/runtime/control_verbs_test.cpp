// Who may send which control verb (control/verbs.hpp): root always, the daemon's own uid when it
// was started by a normal user, nobody else and no client whose uid is unknown; and every verb
// of the wire has its row, answered by the role the topology links control to.
#include "control/verbs.hpp"

#include "role/topology.hpp"

#include <gtest/gtest.h>

#include <string>

namespace smtpd::rt {
namespace {

constexpr uid_t kRoot = 0;
constexpr uid_t kDeveloper = 1000;
constexpr uid_t kNobody = 65534;

class ControlVerbRow : public ::testing::TestWithParam<VerbRule> {};

TEST_P(ControlVerbRow, RootMaySendIt) {
    EXPECT_TRUE(may_send(GetParam(), kRoot, kRoot));
    EXPECT_TRUE(may_send(GetParam(), kRoot, kDeveloper));
}

TEST_P(ControlVerbRow, AnotherUserMayNotSendItToARootDaemon) {
    ASSERT_EQ(GetParam().access, Access::Admin);
    EXPECT_FALSE(may_send(GetParam(), kNobody, kRoot));
    EXPECT_FALSE(may_send(GetParam(), kDeveloper, kRoot));
}

TEST_P(ControlVerbRow, TheDaemonsOwnUserMaySendIt) {
    EXPECT_TRUE(may_send(GetParam(), kDeveloper, kDeveloper));
    EXPECT_FALSE(may_send(GetParam(), kNobody, kDeveloper));
}

TEST_P(ControlVerbRow, AnUnknownUidMayNotSendIt) {
    EXPECT_FALSE(may_send(GetParam(), std::nullopt, kRoot));
    EXPECT_FALSE(may_send(GetParam(), std::nullopt, kDeveloper));
}

TEST_P(ControlVerbRow, IsAnsweredByARoleControlIsLinkedTo) {
    Role const answers = GetParam().answers;
    bool linked = false;
    for (auto const& link : kPeers) {
        linked = linked || (link.a == Role::Control && link.b == answers) ||
                 (link.b == Role::Control && link.a == answers);
    }
    EXPECT_TRUE(linked) << role_name(answers);
}

TEST_P(ControlVerbRow, IsFoundByItsVerb) {
    EXPECT_EQ(&verb_rule(GetParam().verb),
              &kVerbRules.at(static_cast<std::size_t>(GetParam().verb)));
    EXPECT_EQ(verb_rule(GetParam().verb).verb, GetParam().verb);
}

INSTANTIATE_TEST_SUITE_P(Table, ControlVerbRow, ::testing::ValuesIn(kVerbRules),
                         [](auto const& row) {
                             std::string name;
                             bool upper = true;
                             for (char c : row.param.name) {
                                 if (c == ' ') {
                                     upper = true;
                                 } else {
                                     name += upper ? static_cast<char>(c - 'a' + 'A') : c;
                                     upper = false;
                                 }
                             }
                             return name;
                         });

TEST(ControlVerbs, OnlyStopIsAcknowledgedByControlItself) {
    for (auto const& rule : kVerbRules) {
        EXPECT_EQ(rule.answer == Answer::Control, rule.verb == ipc::ControlVerb::Stop) << rule.name;
    }
}

TEST(ControlVerbs, AnAnyoneRowAdmitsEveryUid) {
    VerbRule const open{ipc::ControlVerb::ShowQueue, "open", Role::Queue, Access::Anyone,
                        Answer::Role};
    EXPECT_TRUE(may_send(open, kNobody, kRoot));
    EXPECT_TRUE(may_send(open, std::nullopt, kRoot));
}

} // namespace
} // namespace smtpd::rt

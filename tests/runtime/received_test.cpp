// Tests of the Received: header (runtime/dispatcher/received.cpp) in OpenSMTPD's form, with the
// listener options mask-src and received-auth.
// Depends on: dispatcher/received.hpp, GoogleTest.
#include "dispatcher/received.hpp"

#include <gtest/gtest.h>

namespace smtpd::rt {
namespace {

ReceivedInfo base() {
    ReceivedInfo info;
    info.helo = "client.example.org";
    info.client_ip = "192.0.2.7";
    info.hostname = "mx.example.com";
    info.esmtp = true;
    info.id = "0a1b2c3d";
    info.when = 0;
    return info;
}

std::string head(std::string const& header) { // up to the date
    return header.substr(0, header.find(";\r\n\t"));
}

TEST(Received, FromClauseNamesHeloAndAddress) {
    EXPECT_EQ(head(received_header(base())), "Received: from client.example.org ([192.0.2.7])\r\n"
                                             "\tby mx.example.com (smtpd) with ESMTP id 0a1b2c3d");
}

TEST(Received, MaskSrcDropsTheWholeFromClause) {
    ReceivedInfo info = base();
    info.mask_source = true;
    std::string const header = received_header(info);
    EXPECT_EQ(head(header), "Received: \r\n\tby mx.example.com (smtpd) with ESMTP id 0a1b2c3d");
    EXPECT_EQ(header.find("192.0.2.7"), std::string::npos);
    EXPECT_EQ(header.find("client.example.org"), std::string::npos);
}

TEST(Received, ReceivedAuthOverTlsNamesTheUser) {
    ReceivedInfo info = base();
    info.tls = true;
    info.tls_info = "TLSv1.3:TLS_AES_256_GCM_SHA384:256";
    info.received_auth = true;
    info.authenticated = true;
    info.auth_user = "alice";
    EXPECT_EQ(head(received_header(info)),
              "Received: from client.example.org ([192.0.2.7])\r\n"
              "\tby mx.example.com (smtpd) with ESMTPSA id 0a1b2c3d "
              "(TLSv1.3:TLS_AES_256_GCM_SHA384:256) auth=yes user=alice");
    info.authenticated = false;
    EXPECT_TRUE(head(received_header(info)).ends_with("256) auth=no"));
}

TEST(Received, ReceivedAuthWithoutTlsAddsNothing) { // as OpenSMTPD, inside its TLS branch
    ReceivedInfo info = base();
    info.received_auth = true;
    info.authenticated = true;
    info.auth_user = "alice";
    EXPECT_EQ(received_header(info).find("auth="), std::string::npos);
}

} // namespace
} // namespace smtpd::rt

// LMTP delivery: a scripted in-process LMTP server for what Dovecot will not
// easily say (4xx after the data, a server that never greets, what the client sent: RCPT TO with
// a bare user name, the dot-stuffed body); and Debian's real Dovecot over a unix socket and TCP
// (the message lands in the Maildir; an unknown user is a 5xx, hence PermFail).
// Depends on: deliver/lmtp.hpp, common/fs.hpp, dovecot_fixture.hpp, GoogleTest.
#include "common/fs.hpp"
#include "deliver/lmtp.hpp"
#include "dovecot_fixture.hpp"
#include "temp_dir.hpp"

#include <fcntl.h>
#include <filesystem>
#include <gtest/gtest.h>
#include <poll.h>
#include <thread>

namespace smtpd::rt {
namespace {

namespace fs = std::filesystem;
using Kind = DeliveryOutcome::Kind;
using namespace std::chrono_literals;

/// One connection on 127.0.0.1: greets, answers LHLO/MAIL/RCPT/DATA/QUIT as scripted, and
/// keeps what the client sent.
class ScriptedServer {
  public:
    explicit ScriptedServer(std::string rcpt_reply, std::string data_reply, bool greet = true)
        : rcpt_reply_(std::move(rcpt_reply)), data_reply_(std::move(data_reply)) {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        auto* sa = reinterpret_cast<sockaddr*>(&a); // NOLINT: the sockets API
        EXPECT_EQ(::bind(listener_, sa, sizeof a), 0);
        EXPECT_EQ(::getsockname(listener_, sa, &len), 0);
        EXPECT_EQ(::listen(listener_, 1), 0);
        port_ = ntohs(a.sin_port);
        if (greet) {
            thread_ = std::thread([this] { serve(); });
        }
    }
    ScriptedServer(ScriptedServer const&) = delete;
    ScriptedServer& operator=(ScriptedServer const&) = delete;
    ~ScriptedServer() {
        if (thread_.joinable()) {
            thread_.join();
        }
        ::close(listener_);
    }
    [[nodiscard]] std::string destination() const { return "127.0.0.1:" + std::to_string(port_); }
    /// What the client sent; valid once the delivery returned.
    [[nodiscard]] std::string const& received() {
        if (thread_.joinable()) {
            thread_.join();
        }
        return received_;
    }

  private:
    /// Reads at least one byte, then up to and including `end`.
    bool read_until(int fd, std::string_view end) {
        char c = 0;
        do {
            if (::recv(fd, &c, 1, 0) != 1) {
                return false;
            }
            received_ += c;
        } while (!received_.ends_with(end));
        return true;
    }

    std::string answer(int fd) {
        std::string const line = received_.substr(received_.rfind('\n', received_.size() - 3) + 1);
        if (line.starts_with("RCPT")) {
            return rcpt_reply_;
        }
        if (line.starts_with("DATA")) {
            ::send(fd, "354 go\r\n", 8, MSG_NOSIGNAL);
            return read_until(fd, "\r\n.\r\n") ? data_reply_ : "";
        }
        return line.starts_with("QUIT") ? "221 bye" : "250 ok";
    }

    void serve() {
        pollfd p{listener_, POLLIN, 0};
        if (::poll(&p, 1, 10000) != 1) {
            return; // no client came: do not hang the test
        }
        int const fd = ::accept(listener_, nullptr, nullptr);
        std::string const greeting = "220 fake LMTP\r\n";
        ::send(fd, greeting.data(), greeting.size(), MSG_NOSIGNAL);
        received_ = "\n";
        while (read_until(fd, "\r\n")) {
            std::string const reply = answer(fd) + "\r\n";
            ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
            if (reply.starts_with("221")) {
                break;
            }
        }
        received_.erase(0, 1);
        ::close(fd);
    }

    std::string rcpt_reply_;
    std::string data_reply_;
    int listener_ = -1;
    int port_ = 0;
    std::thread thread_;
    std::string received_;
};

class Lmtp : public ::testing::Test {
  protected:
    testing::TempDir dir;
    std::string message = dir.path() + "/message";

    void SetUp() override {
        ASSERT_TRUE(write_file_synced(message, "Subject: hi\r\n\r\n.dot\r\nbody\r\n", O_TRUNC));
    }
    [[nodiscard]] LmtpDelivery delivery(std::string destination, std::string rcpt) const {
        return LmtpDelivery{std::move(destination),
                            "a@example.org",
                            std::move(rcpt),
                            "X-Test: 1\n",
                            message,
                            "mx.example",
                            10s};
    }
};

TEST_F(Lmtp, SendsLhloBareUserAndDotStuffedBody) {
    ScriptedServer server("250 2.1.5 ok", "250 2.0.0 saved");
    auto const out = deliver_lmtp(delivery(server.destination(), "alice"));
    EXPECT_EQ(out.kind, Kind::Delivered);
    EXPECT_EQ(out.text, "250 2.0.0 saved");
    EXPECT_EQ(server.received(), "LHLO mx.example\r\nMAIL FROM:<a@example.org>\r\n"
                                 "RCPT TO:<alice>\r\nDATA\r\nX-Test: 1\r\nSubject: hi\r\n\r\n"
                                 "..dot\r\nbody\r\n.\r\nQUIT\r\n");
}

TEST_F(Lmtp, TransientReplyAfterDataIsTempFail) {
    ScriptedServer server("250 ok", "452 4.2.2 <alice@x> mailbox full");
    auto const out = deliver_lmtp(delivery(server.destination(), "alice@x"));
    EXPECT_EQ(out.kind, Kind::TempFail);
    EXPECT_EQ(out.text, "452 4.2.2 <alice@x> mailbox full");
}

TEST_F(Lmtp, RefusedRecipientIsPermFail) {
    ScriptedServer server("550 5.1.1 no such user", "250 unused");
    auto const out = deliver_lmtp(delivery(server.destination(), "bob"));
    EXPECT_EQ(out.kind, Kind::PermFail);
    EXPECT_EQ(out.text, "550 5.1.1 no such user");
}

TEST_F(Lmtp, SilentServerTimesOut) {
    ScriptedServer server("", "", false);
    auto d = delivery(server.destination(), "alice");
    d.timeout = 300ms;
    auto const out = deliver_lmtp(d);
    EXPECT_EQ(out.kind, Kind::TempFail);
    EXPECT_NE(out.text.find("4.4.2"), std::string::npos) << out.text;
}

TEST_F(Lmtp, ConnectionFailuresAreTempFail) {
    std::vector<std::string> const destinations{dir.path() + "/no-socket",
                                                message /* a file, not a socket */,
                                                "127.0.0.1:1",
                                                "[::1]:1",
                                                "no-such-host.invalid:24",
                                                "not a destination::",
                                                "mail.example" /* LMTP has no default port */};
    for (auto const& destination : destinations) {
        auto const out = deliver_lmtp(delivery(destination, "alice"));
        EXPECT_EQ(out.kind, Kind::TempFail) << destination;
        EXPECT_TRUE(out.text.starts_with("lmtp: ")) << out.text;
    }
}

TEST_F(Lmtp, MissingMessageIsTempFail) {
    auto d = delivery("127.0.0.1:1", "alice");
    d.message_path = dir.path() + "/nope";
    EXPECT_EQ(deliver_lmtp(d).kind, Kind::TempFail);
}

std::vector<fs::path> new_mail(std::string const& maildir) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (auto const& e : fs::directory_iterator(maildir + "/new", ec)) {
        files.push_back(e.path());
    }
    return files;
}

class LmtpDovecot : public Lmtp {
  protected:
    void SetUp() override {
        Lmtp::SetUp();
        if (!fs::exists(testing::Dovecot::kBinary)) {
            GTEST_SKIP() << "dovecot is not installed (.ci/deps installs dovecot-lmtpd)";
        }
        dovecot_ = std::make_unique<testing::Dovecot>();
        ASSERT_TRUE(dovecot_->ready()) << dovecot_->log();
    }
    std::unique_ptr<testing::Dovecot> dovecot_;
};

TEST_F(LmtpDovecot, DeliversOverTheUnixSocketIntoTheMaildir) {
    auto const out = deliver_lmtp(delivery(dovecot_->socket_path(), "alice"));
    ASSERT_EQ(out.kind, Kind::Delivered) << out.text << "\n" << dovecot_->log();
    EXPECT_TRUE(out.text.starts_with("250 2.0.0 <alice>")) << out.text;
    auto const files = new_mail(dovecot_->maildir());
    ASSERT_EQ(files.size(), 1U) << dovecot_->log();
    auto const content = read_file(files[0]);
    ASSERT_TRUE(content);
    EXPECT_TRUE(content.value().starts_with("Return-Path: <a@example.org>\n")) << content.value();
    EXPECT_NE(content.value().find("\nX-Test: 1\nSubject: hi\n\n.dot\nbody\n"), std::string::npos)
        << content.value();
}

TEST_F(LmtpDovecot, DeliversOverTcpWithTheFullAddress) {
    auto const out = deliver_lmtp(delivery(dovecot_->tcp(), "alice@example.net"));
    ASSERT_EQ(out.kind, Kind::Delivered) << out.text << "\n" << dovecot_->log();
    EXPECT_EQ(new_mail(dovecot_->maildir()).size(), 1U);
}

TEST_F(LmtpDovecot, UnknownUserIsPermFail) {
    auto const out = deliver_lmtp(delivery(dovecot_->socket_path(), "bob"));
    EXPECT_EQ(out.kind, Kind::PermFail) << out.text;
    EXPECT_TRUE(out.text.starts_with("550 5.1.1")) << out.text;
    EXPECT_TRUE(new_mail(dovecot_->maildir()).empty());
}

} // namespace
} // namespace smtpd::rt

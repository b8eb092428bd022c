// TlsErrc's category and the OpenSSL error queue as text (see tls_error.hpp).
// Depends on: tls_error.hpp, OpenSSL's libcrypto.
#include "tls/tls_error.hpp"

#include <openssl/err.h>

#include <array>

namespace smtpd::rt::tls {

namespace {

class TlsCategory final : public std::error_category {
  public:
    [[nodiscard]] char const* name() const noexcept override { return "smtpd.tls"; }
    [[nodiscard]] std::string message(int value) const override {
        switch (static_cast<TlsErrc>(value)) {
        case TlsErrc::BadCertificate:
            return "bad certificate file";
        case TlsErrc::BadKey:
            return "bad private key file";
        case TlsErrc::KeyMismatch:
            return "private key does not match the certificate";
        case TlsErrc::BadCa:
            return "bad ca file";
        case TlsErrc::NoPki:
            return "no certificate";
        case TlsErrc::Library:
            return "TLS library failure";
        case TlsErrc::BadProtocols:
            return "bad TLS protocols";
        case TlsErrc::BadCiphers:
            return "bad TLS ciphers";
        }
        return "unknown TLS error";
    }
};

} // namespace

std::error_category const& tls_category() {
    static TlsCategory const category;
    return category;
}

std::string take_openssl_errors() {
    std::string out;
    while (unsigned long const e = ERR_get_error()) {
        if (!out.empty()) {
            out += "; ";
        }
        if (char const* reason = ERR_reason_error_string(e)) {
            out += reason;
        } else {
            std::array<char, 256> buf{};
            ERR_error_string_n(e, buf.data(), buf.size());
            out += buf.data();
        }
    }
    return out;
}

} // namespace smtpd::rt::tls

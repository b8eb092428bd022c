// The error codes of the TLS set-up (TlsErrc, registered as a std::error_category) and the text of
// OpenSSL's error queue for messages. File-system errors keep their errno codes.
// Depends on: the standard library.
#pragma once

#include <string>
#include <system_error>

namespace smtpd::rt::tls {

enum class TlsErrc : int {
    BadCertificate = 1, ///< no PEM certificate in the file, or one OpenSSL refuses
    BadKey,             ///< no PEM private key in the file (or an encrypted one)
    KeyMismatch,        ///< the private key is not the certificate's
    BadCa,              ///< no PEM certificate in the ca file
    NoPki,              ///< a TLS context without any certificate
    Library,            ///< OpenSSL failed where only an allocation can fail
    BadProtocols,       ///< a protocols list that names no usable TLS version
    BadCiphers,         ///< a cipher list OpenSSL matches no cipher with
};

[[nodiscard]] std::error_category const& tls_category();

[[nodiscard]] inline std::error_code make_error_code(TlsErrc e) {
    return {static_cast<int>(e), tls_category()};
}

/// Empties OpenSSL's error queue of this thread into "reason; reason" (empty when it was empty).
[[nodiscard]] std::string take_openssl_errors();

} // namespace smtpd::rt::tls

template <> struct std::is_error_code_enum<smtpd::rt::tls::TlsErrc> : std::true_type {};

// Test helper: certificates made at test run time (never committed): a CA, and leaf certificates
// for given DNS names and addresses signed by it (or by themselves, or expired), with their EC
// P-256 keys, as PEM files in a directory.
// Depends on: OpenSSL's libcrypto.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <string>
#include <vector>

namespace smtpd::rt::testing {

/// A certificate file and its key file.
struct CertFiles {
    std::string cert_file;
    std::string key_file;
};

/// What a leaf certificate says.
struct LeafSpec {
    std::vector<std::string> dns_names;      ///< subjectAltName DNS entries (none: no extension)
    std::string common_name;                 ///< subject CN; the first DNS name when empty
    bool chain = false;                      ///< append the CA certificate to the certificate file
    bool expired = false;                    ///< valid from two days ago until yesterday
    bool self_signed = false;                ///< signed by its own key, not by the CA
    std::vector<std::string> ip_addresses{}; ///< subjectAltName IP entries
};

/// A certificate authority whose files live in `dir`.
class TestCa {
  public:
    TestCa(std::string dir, std::string const& name);
    TestCa(TestCa const&) = delete;
    TestCa& operator=(TestCa const&) = delete;
    ~TestCa();

    /// The CA's certificate (PEM).
    [[nodiscard]] std::string const& cert_file() const { return cert_file_; }
    /// A new key and a certificate for it signed by this CA, written as <stem>.crt, <stem>.key.
    [[nodiscard]] CertFiles issue(std::string const& stem, LeafSpec const& spec);
    /// A key that belongs to no certificate, written as <stem>.key; with a passphrase, encrypted.
    [[nodiscard]] std::string stray_key(std::string const& stem,
                                        std::string const& passphrase = {});

  private:
    struct State;
    std::unique_ptr<State> state_;
    std::string dir_;
    std::string cert_file_;
};

/// The subject's common name of `cert`, or "" for none (nullptr).
[[nodiscard]] std::string common_name(X509 const* cert);

} // namespace smtpd::rt::testing

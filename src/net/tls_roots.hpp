// The system CA bundle without parsing it: the PEM blocks are decoded and only
// the subject name of each is located (a DER walk), so a run parses just the
// roots whose subject a presented chain names, instead of all ~150 of them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/fd.hpp"

namespace okuru::tls {

// Where Debian's GnuTLS reads its system trust (its --with-default-trust-store-file).
inline constexpr const char* system_bundle_path = "/etc/ssl/certs/ca-certificates.crt";

// The DER of every "CERTIFICATE" / "X509 CERTIFICATE" PEM block in text, in order;
// a block whose base64 is broken is skipped.
std::vector<std::string> pem_certificates(std::string_view text);

// The encoded issuer and subject Names (tag and length included, as GnuTLS's
// get_raw_issuer_dn / get_raw_dn give them) of a DER certificate; nullopt if the
// outer structure is malformed.
struct RawNames {
    std::string_view issuer, subject;
};
std::optional<RawNames> raw_names(std::string_view der);

// A bundle read once and indexed by raw subject name.
class RootBundle {
  public:
    // nullopt if the file cannot be read or holds no certificate.
    static std::optional<RootBundle> load(const std::string& path);

    std::size_t size() const { return roots_.size(); }
    // The indexes of the roots whose subject is exactly name (byte for byte:
    // GnuTLS matches issuers by the raw encoded name too).
    std::vector<std::size_t> with_subject(std::string_view name) const;
    // The certificate (decoded now: only a chain's candidates ever are); empty if
    // its base64 is broken past the names.
    std::string der(std::size_t i) const;

  private:
    struct Root {
        std::uint64_t body_at;  // its base64: offset in the file and size
        std::size_t body_size;
        std::string subject;
    };
    Fd file_;  // kept open for der()
    std::vector<Root> roots_;
};

}  // namespace okuru::tls

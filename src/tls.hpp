// TLS client settings and the GnuTLS session (RAII), with certificate checks:
// system trust store (plus an optional CA file), host name of the configured
// host (never a DNS-derived name), SNI, TLS 1.2 minimum, optional SHA-256 pin.
#pragma once

#include <string>

namespace okuru {

struct TlsParams {
    std::string verify_host;   // the configured host name: SNI and name check
    std::string ca_file;       // extra PEM trust anchors
    bool system_trust = true;
    std::string fingerprint;   // SHA-256 pin (hex, colons optional); empty: none
    std::string priority;      // GnuTLS priority string; empty: "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"-like default
    std::string client_cert, client_key;  // PEM files; empty: none
};

}  // namespace okuru

// Test doubles for the SASL tests: a Transport that only reports its TLS state,
// and a libgsasl server that plays the other side of an exchange.
#pragma once

#include <gsasl.h>

#include <optional>
#include <stdexcept>
#include <string>

#include "net/transport.hpp"
#include "sasl/sasl_internal.hpp"

namespace okuru::test {

class FakeTransport : public Transport {
  public:
    bool is_secure = true;
    std::optional<ChannelBinding> binding;
    bool client_certificate = false;

    void write(std::string_view) override {}
    std::size_t read(std::span<char>, Clock::time_point) override { return 0; }
    void start_tls(Clock::time_point) override {}
    bool secure() const override { return is_secure; }
    std::optional<ChannelBinding> channel_binding() const override { return binding; }
    bool has_client_certificate() const override { return client_certificate; }
    std::string peer_name() const override { return "smtp.example.test[192.0.2.1]:587"; }
};

// One server-side session of `mech` that knows `password` for "user".
class GsaslServer {
  public:
    GsaslServer(const std::string& mech, std::string password,
                std::optional<ChannelBinding> binding = std::nullopt)
        : password_(std::move(password)), binding_(std::move(binding)) {
        if (gsasl_init(&ctx_) != GSASL_OK) throw std::runtime_error("gsasl_init");
        gsasl_callback_hook_set(ctx_, this);
        gsasl_callback_set(ctx_, &GsaslServer::callback);
        const int rc = gsasl_server_start(ctx_, mech.c_str(), &session_);
        if (rc != GSASL_OK) throw std::runtime_error(gsasl_strerror(rc));
    }
    ~GsaslServer() {
        gsasl_finish(session_);
        gsasl_done(ctx_);
    }
    GsaslServer(const GsaslServer&) = delete;
    GsaslServer& operator=(const GsaslServer&) = delete;

    // Feeds a client response (base64; "=" is RFC 4954's empty initial response)
    // and returns the server's base64 answer. last_rc() tells OK / NEEDS_MORE / error.
    std::string step(const std::string& response_b64) {
        const std::string in = response_b64 == "=" ? std::string() : response_b64;
        char* out = nullptr;
        rc_ = gsasl_step64(session_, in.c_str(), &out);
        std::string result = out ? out : "";
        gsasl_free(out);
        return result;
    }
    int last_rc() const { return rc_; }
    std::string authid() const {
        const char* p = gsasl_property_fast(session_, GSASL_AUTHID);
        return p ? p : "";
    }

  private:
    static int callback(Gsasl* ctx, Gsasl_session* s, Gsasl_property prop) {
        auto* self = static_cast<GsaslServer*>(gsasl_callback_hook_get(ctx));
        switch (prop) {
            case GSASL_PASSWORD: {
                const char* user = gsasl_property_fast(s, GSASL_AUTHID);
                if (!user || std::string(user) != "user") return GSASL_AUTHENTICATION_ERROR;
                return gsasl_property_set(s, prop, self->password_.c_str());
            }
            case GSASL_CB_TLS_UNIQUE:
            case GSASL_CB_TLS_EXPORTER: {
                if (!self->binding_) return GSASL_NO_CALLBACK;
                const bool exporter = prop == GSASL_CB_TLS_EXPORTER;
                if ((self->binding_->type == "tls-exporter") != exporter) return GSASL_NO_CALLBACK;
                const std::string b64 = sasl_detail::base64_encode(self->binding_->data);
                return gsasl_property_set(s, prop, b64.c_str());
            }
            case GSASL_SERVICE:
                return gsasl_property_set(s, prop, "smtp");
            case GSASL_HOSTNAME:
                return gsasl_property_set(s, prop, "smtp.example.test");
            case GSASL_REALM:
                return gsasl_property_set(s, prop, "example.test");
            default:
                return GSASL_NO_CALLBACK;
        }
    }

    std::string password_;
    std::optional<ChannelBinding> binding_;
    Gsasl* ctx_ = nullptr;
    Gsasl_session* session_ = nullptr;
    int rc_ = GSASL_OK;
};

}  // namespace okuru::test

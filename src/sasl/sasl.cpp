// SaslClient: libgsasl for the standard mechanisms, XOAUTH2 and OAUTHBEARER
// built in (see sasl.hpp). The mechanism choice lives in sasl_choice.cpp.
#include "sasl/sasl.hpp"

#include <gsasl.h>
#include <string.h>  // explicit_bzero

#include <cstring>
#include <exception>
#include <utility>

#include "base/errors.hpp"
#include "base/log.hpp"
#include "sasl/sasl_internal.hpp"

namespace okuru {
namespace {

using namespace sasl_detail;

struct GsaslDone {
    void operator()(Gsasl* ctx) const noexcept { gsasl_done(ctx); }
};
struct GsaslFinish {
    void operator()(Gsasl_session* s) const noexcept {
        // libgsasl frees its copies of the properties without clearing them:
        // clear the password and what is as good as the password first.
        for (const Gsasl_property prop : {GSASL_PASSWORD, GSASL_SCRAM_SALTED_PASSWORD,
                                          GSASL_SCRAM_SERVERKEY, GSASL_SCRAM_STOREDKEY}) {
            if (const char* p = gsasl_property_fast(s, prop)) {
                // The buffer is libgsasl's own malloc'ed copy; only the API is const.
                explicit_bzero(const_cast<char*>(p), std::strlen(p));
            }
        }
        gsasl_finish(s);
    }
};
using GsaslPtr = std::unique_ptr<Gsasl, GsaslDone>;
using SessionPtr = std::unique_ptr<Gsasl_session, GsaslFinish>;

// A buffer libgsasl allocated for us: wiped before it is freed, since it may
// hold a password (PLAIN) or a proof derived from one.
struct GsaslBuffer {
    char* data = nullptr;
    std::size_t size = 0;
    GsaslBuffer() = default;
    GsaslBuffer(const GsaslBuffer&) = delete;
    GsaslBuffer& operator=(const GsaslBuffer&) = delete;
    ~GsaslBuffer() {
        if (data) {
            explicit_bzero(data, size);
            gsasl_free(data);
        }
    }
};

GsaslPtr make_context() {
    Gsasl* ctx = nullptr;
    const int rc = gsasl_init(&ctx);
    if (rc != GSASL_OK) {
        throw Error(Exit::software,
                    std::string("cannot initialise GNU SASL: ") + gsasl_strerror(rc));
    }
    return GsaslPtr(ctx);
}

// Mechanisms that wait for the server's first challenge (RFC 4954 4: no
// initial response): LOGIN's "Username:", CRAM-MD5's and DIGEST-MD5's nonce.
bool server_first(std::string_view mech) {
    return mech == "LOGIN" || mech == "CRAM-MD5" || mech == "DIGEST-MD5";
}

bool is_scram(std::string_view mech) {
    return mech.starts_with("SCRAM-");
}

std::string_view binding_kind(const ChannelBinding& cb) {
    return cb.type == "tls-exporter" ? "exporter" : "unique";
}

}  // namespace

struct SaslClient::Impl {
    AuthConfig config;
    std::string mechanism;
    std::optional<ChannelBinding> binding;  // handed to libgsasl only when it may use it
    GsaslPtr ctx;
    SessionPtr session;
    std::optional<Secret> password, token;  // fetched at most once, when first needed
    std::exception_ptr callback_error;      // a password source failing inside the C callback
    int steps = 0;                          // client messages produced so far
    bool done = false;                      // the mechanism has finished its side
    std::string server_error;

    const Secret& get_password() {
        if (!password) {
            if (!config.password) throw Error(Exit::config, mechanism + " needs a password");
            password.emplace(config.password());
        }
        return *password;
    }

    const Secret& get_token() {
        if (!token) {
            if (!config.oauth_token) {
                throw Error(Exit::config, mechanism + " needs an oauth_token_command");
            }
            try {
                token.emplace(config.oauth_token());
            } catch (...) {
                rethrow_with_cause(Cause::oauth_token_failed);
            }
            if (token->empty()) {
                throw Error(Exit::config, "the OAuth token command printed an empty token",
                            Cause::oauth_token_failed);
            }
        }
        return *token;
    }

    static int callback(Gsasl* ctx, Gsasl_session* s, Gsasl_property prop) {
        auto* self = static_cast<Impl*>(gsasl_callback_hook_get(ctx));
        if (!self) return GSASL_NO_CALLBACK;
        try {
            return self->supply(s, prop);
        } catch (...) {
            // Exceptions must not cross libgsasl's C frames: keep it for step().
            self->callback_error = std::current_exception();
            return prop == GSASL_PASSWORD ? GSASL_NO_PASSWORD : GSASL_NO_CALLBACK;
        }
    }

    int supply(Gsasl_session* s, Gsasl_property prop) {
        switch (prop) {
            case GSASL_AUTHID:
                if (config.user.empty()) return GSASL_NO_AUTHID;
                return gsasl_property_set(s, prop, config.user.c_str());
            case GSASL_PASSWORD:
                return gsasl_property_set(s, prop, get_password().reveal().c_str());
            case GSASL_SERVICE:
                return gsasl_property_set(s, prop, "smtp");  // RFC 4954 3: service name "smtp"
            case GSASL_HOSTNAME:
                if (config.hostname.empty()) return GSASL_NO_HOSTNAME;
                return gsasl_property_set(s, prop, config.hostname.c_str());
            case GSASL_CB_TLS_UNIQUE:
            case GSASL_CB_TLS_EXPORTER: {
                // Answer only for the binding type the transport has, so libgsasl
                // names that type in the gs2 header whatever order it asks in.
                const std::string_view want = prop == GSASL_CB_TLS_EXPORTER ? "exporter" : "unique";
                if (!binding || binding_kind(*binding) != want) return GSASL_NO_CALLBACK;
                std::string b64 = base64_encode(binding->data);
                const int rc = gsasl_property_set(s, prop, b64.c_str());
                wipe(b64);
                return rc;
            }
            default:
                // GSASL_AUTHZID included: an empty authorization identity means "act
                // as the authenticated user" (EXTERNAL: as the certificate's subject;
                // GSSAPI: as the Kerberos principal), which is what a submission wants.
                return GSASL_NO_CALLBACK;
        }
    }

    [[noreturn]] void fail(int rc) {
        const std::string what = "AUTH " + mechanism + ": ";
        const std::string lib = std::string(gsasl_strerror(rc)) + " (" +
                                (gsasl_strerror_name(rc) ? gsasl_strerror_name(rc) : "?") + ")";
        if (is_scram(mechanism) && rc == GSASL_AUTHENTICATION_ERROR && steps >= 2) {
            // RFC 5802 3: the server signature proves the server knows the
            // password's keys. A wrong one means an impostor (or a broken server):
            // a protocol failure, not a rejected password.
            throw Error(Exit::protocol,
                        what +
                            "the server's final signature is wrong, so it did not prove "
                            "it knows the account's password (impostor or broken server)");
        }
        switch (rc) {
            case GSASL_MALLOC_ERROR:
                throw Error(Exit::oserr, what + lib);
            case GSASL_AUTHENTICATION_ERROR:
            case GSASL_MECHANISM_PARSE_ERROR:
            case GSASL_BASE64_ERROR:
                throw Error(Exit::protocol,
                            what + "unacceptable challenge from the server: " + lib);
            case GSASL_NO_AUTHID:
            case GSASL_NO_PASSWORD:
            case GSASL_NO_HOSTNAME:
                throw Error(Exit::config, what + lib);
            default:
                // GSSAPI trouble (no Kerberos ticket, unknown principal) and the rest.
                throw Error(
                    Exit::unavailable,
                    what + lib +
                        (mechanism == "GSSAPI" ? "; is there a Kerberos ticket (klist)?" : ""));
        }
    }

    // One libgsasl step on raw bytes.
    std::string gsasl_raw_step(std::string_view input) {
        GsaslBuffer out;
        const int rc = gsasl_step(session.get(), input.data(), input.size(), &out.data, &out.size);
        if (callback_error) std::rethrow_exception(std::exchange(callback_error, nullptr));
        if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE) fail(rc);
        ++steps;
        done = rc == GSASL_OK;
        std::string result;
        result.reserve(out.size);
        result.assign(out.data ? out.data : "", out.size);
        return result;
    }

    std::string oauth_first_message() {
        const std::string& tok = get_token().reveal();
        ++steps;
        done = true;
        if (mechanism == "XOAUTH2") return xoauth2_message(config.user, tok);
        return oauthbearer_message(config.user, config.hostname, config.port, tok);
    }

    std::string oauth_step(std::string_view challenge) {
        if (steps == 0) return oauth_first_message();  // AUTH sent without initial response
        if (steps > 1) throw Error(Exit::protocol, "AUTH " + mechanism + ": unexpected challenge");
        ++steps;
        // The server's JSON error status (RFC 7628 3.2.2; Google does the same for
        // XOAUTH2). Kept for the error message; the final 5xx reply follows.
        server_error = log::escape(challenge);
        // RFC 7628 3.2.3: answer a single %x01; XOAUTH2 wants an empty response.
        return mechanism == "OAUTHBEARER" ? std::string("\x01") : std::string();
    }
};

std::vector<std::string> available_mechanisms() {
    const GsaslPtr ctx = make_context();
    std::vector<std::string> out;
    for (const auto& mech : known_mechanisms()) {
        if (is_builtin(mech) || gsasl_client_support_p(ctx.get(), mech.c_str())) {
            out.push_back(mech);
        }
    }
    return out;
}

namespace {

ChoiceInput choice_input(const AuthConfig& config, const std::vector<std::string>& offered,
                         const Transport& transport, Gsasl* ctx) {
    ChoiceInput in;
    in.pinned = config.mechanisms;
    in.offered = offered;
    in.secure = transport.secure();
    in.allow_plaintext = config.allow_plaintext;
    in.has_password = bool(config.password);
    in.has_oauth_token = bool(config.oauth_token);
    in.has_client_certificate = transport.has_client_certificate();
    const std::optional<ChannelBinding> binding = transport.channel_binding();
    in.has_channel_binding = binding && !binding->data.empty() &&
                             (binding->type == "tls-exporter" || binding->type == "tls-unique");
    in.host = config.hostname.empty() ? transport.peer_name() : config.hostname;
    in.library_supports = [ctx](const std::string& mech) {
        return gsasl_client_support_p(ctx, mech.c_str()) != 0;
    };
    return in;
}

}  // namespace

std::string preview_mechanism(const AuthConfig& config, const std::vector<std::string>& offered,
                              const Transport& transport) {
    const GsaslPtr ctx = make_context();
    return choose_mechanism(choice_input(config, offered, transport, ctx.get()));
}

SaslClient::SaslClient(const AuthConfig& config, const std::vector<std::string>& offered,
                       const Transport& transport)
    : impl_(std::make_unique<Impl>()) {
    Impl& im = *impl_;
    im.config = config;
    im.ctx = make_context();

    const std::optional<ChannelBinding> binding = transport.channel_binding();
    Gsasl* ctx = im.ctx.get();
    im.mechanism = choose_mechanism(choice_input(config, offered, transport, ctx));

    if (is_builtin(im.mechanism)) return;
    // Only -PLUS gets the binding. RFC 5802 6 would have plain SCRAM send gs2
    // flag "y" when the client could bind but the server offers no -PLUS, but
    // libgsasl 2.2 fails its first step whenever a plain SCRAM session can see
    // binding data, so plain SCRAM always says "n".
    if (im.mechanism.ends_with("-PLUS")) im.binding = binding;
    gsasl_callback_set(ctx, &Impl::callback);
    gsasl_callback_hook_set(ctx, &im);  // set before start: SCRAM asks for the binding there
    Gsasl_session* s = nullptr;
    const int rc = gsasl_client_start(ctx, im.mechanism.c_str(), &s);
    if (im.callback_error) std::rethrow_exception(std::exchange(im.callback_error, nullptr));
    if (rc != GSASL_OK) im.fail(rc);
    im.session.reset(s);
}

SaslClient::~SaslClient() = default;

const std::string& SaslClient::mechanism() const {
    return impl_->mechanism;
}

void SaslClient::finish() const {
    // RFC 5802 3: SCRAM's mutual authentication is only worth something if the
    // client checked the server's signature before accepting success. The
    // other mechanisms either have no such proof or libgsasl makes it optional.
    if (is_scram(impl_->mechanism) && !impl_->done) {
        throw Error(Exit::protocol,
                    "AUTH " + impl_->mechanism +
                        ": the server reported success without proving it knows the "
                        "account's password (no SCRAM server signature)");
    }
}

const std::string& SaslClient::server_error() const {
    return impl_->server_error;
}

std::optional<std::string> SaslClient::initial_response() {
    Impl& im = *impl_;
    if (server_first(im.mechanism)) return std::nullopt;
    if (im.steps != 0) {
        throw Error(Exit::software, "AUTH " + im.mechanism + ": initial response requested twice");
    }
    std::string raw = is_builtin(im.mechanism) ? im.oauth_first_message() : im.gsasl_raw_step({});
    if (raw.empty()) return std::string("=");  // RFC 4954 4: "=" is an empty initial response
    std::string b64 = base64_encode(raw);
    wipe(raw);
    return b64;
}

std::string SaslClient::step(std::string_view challenge_b64) {
    Impl& im = *impl_;
    std::optional<std::string> challenge = base64_decode(challenge_b64);
    if (!challenge) {
        throw Error(Exit::protocol, "AUTH " + im.mechanism +
                                        ": the server's challenge is not valid base64: " +
                                        log::escape(challenge_b64.substr(0, 80)));
    }
    std::string raw;
    if (is_builtin(im.mechanism)) {
        raw = im.oauth_step(*challenge);
    } else {
        if (im.done) {
            throw Error(Exit::protocol, "AUTH " + im.mechanism +
                                            ": the server sent a challenge after the "
                                            "exchange was complete");
        }
        raw = im.gsasl_raw_step(*challenge);
    }
    wipe(*challenge);
    std::string b64 = base64_encode(raw);
    wipe(raw);
    return b64;
}

}  // namespace okuru

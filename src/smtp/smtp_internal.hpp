// Pieces shared by the files of the SMTP session (smtp_session.cpp,
// smtp_auth.cpp, smtp_transaction.cpp, smtp_errors.cpp); not a public contract.
// Conversation is the one place that writes commands, reads replies and logs both.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "net/transport.hpp"
#include "smtp/smtp_caps.hpp"
#include "smtp/smtp_reply.hpp"
#include "smtp/smtp_session.hpp"

namespace okuru::smtp {

class Conversation {
  public:
    Conversation(Transport& transport, const SessionConfig& config)
        : transport(transport), config(config), reader(transport) {}

    // Appends "line CR LF" to a flight and shows it in the -v dialogue.
    static void add(std::string& flight, std::string_view line);
    // Appends a command whose arguments are credentials: the dialogue shows only
    // `shown` (RFC 4954 payloads are never logged, not even in base64).
    static void add_secret(std::string& flight, std::string_view line, std::string_view shown);
    // One transport write for a whole flight. `what` names it if the link fails.
    void write(std::string_view flight, std::string_view what);
    // Reads one reply to `what` and logs it (334 challenges redacted when `redact`).
    // A 421 anywhere ends the session (RFC 5321 3.8): Error(tempfail).
    // `timeout` replaces the command timeout for this one reply.
    Reply read(std::string_view what, bool redact = false,
               std::optional<std::chrono::milliseconds> timeout = std::nullopt);
    // The same with a short wait, for replies that change nothing (QUIT's 221,
    // RSET after a failure): never throws, returns nullopt on any trouble.
    std::optional<Reply> read_quietly(std::string_view what);
    // Best-effort "QUIT" (unless already sent) and its 221; never throws.
    void quit_quietly(bool already_sent = false);
    // After a failed transaction: RSET (discards chunks sent without LAST, RFC
    // 3030 2) and QUIT, pipelined when possible; never throws.
    void reset_and_quit();

    Transport& transport;
    const SessionConfig& config;
    ReplyReader reader;
    Capabilities caps;
};

// Where in the dialogue a reply came; decides what a refusal means.
enum class Stage { greeting, ehlo, starttls, auth, mail, rcpt, data_command, data_end };

// The exit code a negative (4xx/5xx) reply deserves at `stage` (table in okuru(8)).
Exit exit_for(const Reply& reply, Stage stage);
// RFC 3463 3.2 addressing status (5.1.x), or 550/551/553 without an enhanced code.
bool recipient_related(const Reply& reply);
// Throws Error(exit_for(...), "WHAT rejected: REPLY"); for a positive reply that
// is not the one expected, Error(protocol, "WHAT: unexpected reply REPLY").
[[noreturn]] void reject(const Reply& reply, std::string_view what, Stage stage);

// AUTH (RFC 4954); returns the mechanism used.
std::string authenticate(Conversation& c);

// MAIL, RCPT, DATA or BDAT, QUIT. Returns the reply to the end of data.
SubmitResult transact(Conversation& c, const Envelope& envelope, const Content& content);

// RFC 3461 4: xtext for ENVID.
std::string xtext(std::string_view text);

}  // namespace okuru::smtp

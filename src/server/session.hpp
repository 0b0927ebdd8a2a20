// okuru's SMTP server (-bs): one session's state machine, RFC 5321 4.1.4 and
// 4.3.2, written against an injected Input and Output so that a scripted
// dialogue tests it without processes. What a message becomes is the
// caller's: the session hands each one, with its envelope, to a Deliverer.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "server/line_reader.hpp"

namespace okuru::server {

// The envelope as the client gave it (RFC 5321 3.3); addresses checked by
// `check_address`, otherwise untouched.
struct Transaction {
    std::string sender;  // "" for the null reverse-path
    std::vector<std::string> recipients;
    bool eight_bit = false;  // BODY=8BITMIME (RFC 6152)
    bool smtputf8 = false;   // SMTPUTF8 (RFC 6531)
};

// A reply to the final dot: code and text (without the code).
struct DataReply {
    int code = 250;
    std::string text;
};

// Takes one message: `data_fd` holds its content as received, dot-unstuffed,
// every line ended by CR LF, positioned at its start.
using Deliverer = std::function<DataReply(const Transaction&, int data_fd)>;

// Checks one MAIL or RCPT address: "" if acceptable, else why not (a 553 reply).
using AddressCheck = std::function<std::string(const std::string& address, bool sender)>;

struct Limits {
    // A message larger than this is refused (552, RFC 5321 4.5.3.1.10) and
    // announced by SIZE (RFC 1870).
    std::size_t max_message = 64u << 20;
    // Command lines: RFC 5321 4.5.3.1.4 says 512 octets with CR LF, and more for
    // extensions' parameters; a longer line gets 500.
    std::size_t max_command_line = 2048;
    // RFC 5321 4.5.3.1.8: at least 100 recipients must be accepted.
    std::size_t max_recipients = 1000;
    // RFC 5321 4.5.3.2.7: the server waits at least 5 minutes for a command.
    std::chrono::milliseconds idle{std::chrono::minutes(5)};
    // Errors (4xx/5xx replies to commands) before the session is closed with 421
    // (a client in a loop, or something that is not an SMTP client).
    int max_errors = 20;
};

// What the session knows about its setting.
struct Setting {
    std::string hostname = "localhost";  // in the greeting and EHLO reply
    Limits limits;
    AddressCheck check_address;  // empty: every address is accepted
    Deliverer deliver;
};

// How a session ended.
enum class Ending { quit, eof, timeout, too_many_errors };

// Runs one session: greeting, commands, replies, until QUIT, the end of input,
// the idle timeout or the error cap. Throws only on I/O errors.
Ending run_session(Input& in, Output& out, const Setting& setting);

}  // namespace okuru::server

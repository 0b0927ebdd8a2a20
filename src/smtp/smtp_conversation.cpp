#include <algorithm>

#include "base/errors.hpp"
#include "base/log.hpp"
#include "smtp/smtp_internal.hpp"

namespace okuru::smtp {
namespace {

// QUIT's 221 and RSET's 250 change nothing: wait for them briefly, never long.
constexpr std::chrono::milliseconds short_wait{3000};

void log_reply(const Reply& reply, bool redact) {
    const std::string code = std::to_string(reply.code);
    for (std::size_t i = 0; i < reply.lines.size(); ++i) {
        const char sep = i + 1 < reply.lines.size() ? '-' : ' ';
        // A 334 carries SASL challenges; some mechanisms (LOGIN, XOAUTH2 errors)
        // echo user data there, so it is not shown.
        if (redact && reply.code == 334) {
            log::dialogue('<', code + sep + "[SASL challenge redacted]");
        } else {
            log::dialogue('<', code + sep + reply.lines[i]);
        }
    }
}

}  // namespace

void Conversation::add(std::string& flight, std::string_view line) {
    log::dialogue('>', line);
    flight.append(line);
    flight.append("\r\n");
}

void Conversation::add_secret(std::string& flight, std::string_view line, std::string_view shown) {
    log::dialogue('>', shown);
    flight.append(line);
    flight.append("\r\n");
}

void Conversation::write(std::string_view flight, std::string_view what) {
    try {
        transport.write(flight);
    } catch (...) {
        rethrow_with_context("while sending " + std::string(what));
    }
}

Reply Conversation::read(std::string_view what, bool redact,
                         std::optional<std::chrono::milliseconds> timeout) {
    Reply reply;
    try {
        reply = reader.read(timeout.value_or(config.command_timeout), what);
    } catch (const Error& e) {
        if (e.code() != Exit::protocol) throw;
        rethrow_with_context("in reply to " + std::string(what));
    }
    log_reply(reply, redact);
    if (reply.code == 421) {
        // RFC 5321 3.8: the server is going away; nothing further will be accepted.
        throw Error(Exit::tempfail,
                    std::string(what) + ": server closed the session: " + reply.str());
    }
    return reply;
}

std::optional<Reply> Conversation::read_quietly(std::string_view what) {
    try {
        Reply reply = reader.read(std::min(config.command_timeout, short_wait), what);
        log_reply(reply, false);
        return reply;
    } catch (const std::exception& e) {
        log::debug("no reply to " + std::string(what) + " (ignored): " + describe(e));
        return std::nullopt;
    }
}

void Conversation::quit_quietly(bool already_sent) {
    try {
        if (!already_sent) {
            std::string flight;
            add(flight, "QUIT");
            transport.write(flight);
        }
    } catch (const std::exception& e) {
        log::debug("QUIT not sent (ignored): " + describe(e));
        return;
    }
    read_quietly("QUIT");
}

void Conversation::reset_and_quit() {
    try {
        std::string flight;
        add(flight, "RSET");
        if (caps.pipelining) {
            add(flight, "QUIT");
            transport.write(flight);
            if (read_quietly("RSET")) read_quietly("QUIT");
            return;
        }
        transport.write(flight);
        if (!read_quietly("RSET")) return;
    } catch (const std::exception& e) {
        log::debug("RSET not sent (ignored): " + describe(e));
        return;
    }
    quit_quietly();
}

}  // namespace okuru::smtp

// One mail transaction: MAIL, RCPT..., then DATA (RFC 5321 4.1.1.4) or BDAT
// (RFC 3030), in as few round trips as PIPELINING (RFC 2920) allows, delivering
// to a subset of the recipients only when partial delivery is on (every RCPT
// reply is read before the data is committed), and streaming the message from
// the Spool in bounded memory.
#include <algorithm>
#include <deque>

#include "base/errors.hpp"
#include "base/log.hpp"
#include "message/data_writer.hpp"
#include "smtp/smtp_internal.hpp"

namespace okuru::smtp {
namespace {

constexpr std::size_t data_write_size = 64 * 1024;
// Outstanding BDAT replies before okuru waits for one: keeps the pipe full
// without letting thousands of unread replies pile up on a huge message.
constexpr std::size_t bdat_window = 8;

// Headers then body, read by offset, as one byte sequence.
class ContentReader {
  public:
    explicit ContentReader(const Content& content) : content_(content) {}
    std::uint64_t size() const { return content_.headers.size() + content_.body.size(); }

    // Appends exactly n bytes from offset to out, each NUL as a space. Throws
    // Error(ioerr) if the spool ends early.
    //
    // RFC 5322 2.3 and 4.1 forbid generating NUL (only obs-body tolerates it) and
    // servers differ (some refuse the data, some cut the line); the spool keeps
    // the bytes as read so a dead letter has the original. One octet for one
    // keeps the size already announced (SIZE=, BDAT counts) and stays 7-bit.
    void append(std::uint64_t offset, std::size_t n, std::string& out) const {
        const std::size_t first = out.size();
        copy(offset, n, out);
        std::replace(out.begin() + std::ptrdiff_t(first), out.end(), '\0', ' ');
    }

  private:
    void copy(std::uint64_t offset, std::size_t n, std::string& out) const {
        const std::uint64_t hsize = content_.headers.size();
        if (offset < hsize) {
            const std::size_t take = std::min<std::uint64_t>(n, hsize - offset);
            out.append(content_.headers.substr(offset, take));
            offset += take;
            n -= take;
        }
        const std::size_t start = out.size();
        out.resize(start + n);
        std::size_t got = 0;
        while (got < n) {
            const std::size_t r = content_.body.read_at(
                offset - hsize + got, std::span<char>(out.data() + start + got, n - got));
            if (r == 0) throw Error(Exit::ioerr, "message spool ended before its recorded size");
            got += r;
        }
    }

    const Content& content_;
};

bool ok(const Reply& r) {
    return r.code >= 200 && r.code < 300;
}

class Transaction {
  public:
    Transaction(Conversation& c, const Envelope& envelope, const Content& content)
        : c_(c), envelope_(envelope), content_(content), reader_(content) {}

    SubmitResult run() {
        check_limits();
        SubmitResult result;
        const bool bdat = c_.caps.chunking && c_.config.use_chunking;  // RFC 3030
        result.final_reply = bdat ? run_bdat() : run_data();
        result.refused = std::move(refused_);
        return result;
    }

  private:
    void check_limits() {
        const auto& caps = c_.caps;
        const std::uint64_t total = reader_.size();
        if (caps.size && *caps.size > 0 && total > *caps.size) {
            throw Error(Exit::unavailable, "message is " + std::to_string(total) +
                                               " bytes; server " + c_.config.server +
                                               " accepts at most " + std::to_string(*caps.size));
        }
        if (content_.smtputf8 && !caps.smtputf8) {
            throw Error(Exit::unavailable,
                        "the envelope needs SMTPUTF8 (non-ASCII addresses), which server " +
                            c_.config.server + " does not offer");
        }
        if (content_.eight_bit && !caps.eightbitmime) {
            log::warn("message has 8-bit data but server " + c_.config.server +
                      " does not offer 8BITMIME; sending it anyway");
        }
        const auto& dsn = c_.config.dsn;
        if ((dsn.notify || dsn.ret || dsn.envid) && !caps.dsn) {
            log::warn("server " + c_.config.server +
                      " does not offer DSN; sending without NOTIFY/RET/ENVID");
        }
    }

    std::string mail_command() const {
        const auto& caps = c_.caps;
        std::string cmd = "MAIL FROM:<" + envelope_.sender + ">";
        // RFC 1870 6; never AUTH=<> (RFC 4954 5 makes it optional, and some
        // servers refuse it: "555 Unsupported option: AUTH=<>").
        if (caps.size) cmd += " SIZE=" + std::to_string(reader_.size());
        if (content_.eight_bit && caps.eightbitmime) cmd += " BODY=8BITMIME";
        if (content_.smtputf8) cmd += " SMTPUTF8";
        if (caps.dsn) {
            if (c_.config.dsn.ret) cmd += " RET=" + checked_keyword(*c_.config.dsn.ret, "RET");
            if (c_.config.dsn.envid) cmd += " ENVID=" + xtext(*c_.config.dsn.envid);
        }
        return cmd;
    }

    std::string rcpt_command(const std::string& rcpt) const {
        std::string cmd = "RCPT TO:<" + rcpt + ">";
        if (c_.caps.dsn && c_.config.dsn.notify) {
            cmd += " NOTIFY=" + checked_keyword(*c_.config.dsn.notify, "NOTIFY");
        }
        return cmd;
    }

    // RET and NOTIFY are keyword lists (RFC 3461 4.1, 4.3); anything else could
    // extend the command line.
    static std::string checked_keyword(const std::string& v, const char* what) {
        const bool good = !v.empty() && std::all_of(v.begin(), v.end(), [](char ch) {
            return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == ',';
        });
        if (!good) {
            throw Error(Exit::usage,
                        std::string("invalid DSN ") + what + " value \"" + log::escape(v) + "\"");
        }
        return v;
    }

    // MAIL, every RCPT, then `last` (DATA, or the first BDAT with its bytes, plus
    // QUIT when `last_ends` the session). With PIPELINING all in one write;
    // without it one round trip each, stopping at a refusal. Throws for a
    // refused MAIL or RCPT after cleaning up; returns the reply to `last`.
    Reply envelope_flight(const std::string& last_cmd, const std::string& last_bytes,
                          bool last_ends) {
        const bool pipelined = c_.caps.pipelining;
        const std::string mail = mail_command();
        std::vector<std::string> rcpts;
        for (const auto& r : envelope_.recipients) rcpts.push_back(rcpt_command(r));

        std::string flight;
        Conversation::add(flight, mail);
        std::optional<Reply> mail_reply;
        std::vector<Reply> rcpt_replies;
        std::optional<Reply> last_reply;
        if (!pipelined) {
            c_.write(flight, mail);
            mail_reply = c_.read(mail);
            if (!ok(*mail_reply)) fail_mail(*mail_reply, mail, false);
            for (const auto& r : rcpts) {
                flight.clear();
                Conversation::add(flight, r);
                c_.write(flight, r);
                rcpt_replies.push_back(c_.read(r));
            }
            check_recipients(rcpts, rcpt_replies, false);
            flight.clear();
        } else {
            for (const auto& r : rcpts) Conversation::add(flight, r);
        }
        Conversation::add(flight, last_cmd);
        if (!last_bytes.empty()) {
            log::dialogue('>', "[" + std::to_string(last_bytes.size()) + " bytes of message data]");
            flight += last_bytes;
        }
        if (last_ends && pipelined) Conversation::add(flight, "QUIT");
        c_.write(flight, pipelined ? mail : last_cmd);
        if (pipelined) {
            mail_reply = c_.read(mail);
            for (const auto& r : rcpts) rcpt_replies.push_back(c_.read(r));
        }
        last_reply = c_.read(last_cmd);
        if (pipelined) {
            const bool data_open = last_reply->code == 354;
            if (!ok(*mail_reply)) fail_mail(*mail_reply, mail, data_open, last_ends);
            check_recipients(rcpts, rcpt_replies, data_open, last_ends);
        }
        return *last_reply;
    }

    // Ends a refused transaction so nothing is delivered: after a 354 the only
    // safe move is to close without the final dot (RFC 5321 has no abort inside
    // DATA, and anything sent now would be message text); chunks without LAST
    // are discarded by RSET (RFC 3030 2); a QUIT already sent just needs its 221.
    void abandon(bool data_open, bool quit_sent) {
        if (data_open) {
            log::info(
                "closing the connection without ending the data: the server discards "
                "the message");
        } else if (quit_sent) {
            c_.read_quietly("QUIT");
        } else {
            c_.reset_and_quit();
        }
    }

    [[noreturn]] void fail_mail(const Reply& r, const std::string& mail, bool data_open,
                                bool quit_sent = false) {
        if (r.positive()) reject(r, mail, Stage::mail);  // protocol: nothing to clean
        abandon(data_open, quit_sent);
        reject(r, mail, Stage::mail);
    }

    void check_recipients(const std::vector<std::string>& rcpts, const std::vector<Reply>& replies,
                          bool data_open, bool quit_sent = false) {
        std::string refused;
        std::size_t count = 0;
        bool any_temporary = false, all_user = true;
        for (std::size_t i = 0; i < replies.size(); ++i) {
            const Reply& r = replies[i];
            if (ok(r)) continue;
            if (r.positive()) reject(r, rcpts[i], Stage::rcpt);
            ++count;
            any_temporary |= r.transient();
            all_user &= recipient_related(r);
            refused += (refused.empty() ? "" : "; ") + rcpts[i] + " rejected: " + r.str();
        }
        if (count == 0) return;
        // Partial delivery: with at least one recipient accepted, the data goes
        // on to those (DATA's 354 or the first chunk without LAST came after
        // every RCPT reply, so nothing was committed before this decision).
        if (c_.config.partial && count < replies.size()) {
            for (std::size_t i = 0; i < replies.size(); ++i) {
                if (ok(replies[i])) continue;
                log::info("recipient refused, sending to the others: " + envelope_.recipients[i] +
                          ": " + replies[i].str());
                refused_.push_back(RecipientRefusal{envelope_.recipients[i], replies[i]});
            }
            return;
        }
        abandon(data_open, quit_sent);
        const Exit code = any_temporary ? Exit::tempfail
                          : all_user    ? Exit::nouser
                                        : Exit::unavailable;
        throw Error(code,
                    std::to_string(count) + " of " + std::to_string(replies.size()) +
                        " recipients refused, message not sent: " + refused,
                    any_temporary ? Cause::none : Cause::message_refused);
    }

    Reply run_data() {
        const Reply data = envelope_flight("DATA", "", false);
        if (data.code != 354) {
            if (!data.positive()) c_.reset_and_quit();
            reject(data, "DATA", Stage::data_command);
        }
        // RFC 5321 4.5.2 transparency, streamed in bounded pieces.
        DotStuffer stuffer;
        std::string raw, out;
        const std::uint64_t total = reader_.size();
        log::dialogue('>', "[" + std::to_string(total) + " bytes of message data]");
        // The Spool promises a final CR LF; if it ever lacks one, the dot must still
        // start a line of its own.
        std::string tail;
        if (total >= 2) reader_.append(total - 2, 2, tail);
        const bool ends_with_crlf = total == 0 || tail == "\r\n";
        for (std::uint64_t off = 0; off < total;) {
            const std::size_t n = std::min<std::uint64_t>(data_write_size, total - off);
            raw.clear();
            reader_.append(off, n, raw);
            off += n;
            stuffer.feed(raw, out);
            if (out.size() >= data_write_size) {
                c_.write(out, "message data");
                out.clear();
            }
        }
        if (!ends_with_crlf) out += "\r\n";
        log::dialogue('>', ".");
        out += DotStuffer::terminator;
        const bool pipelined = c_.caps.pipelining;
        if (pipelined) Conversation::add(out, "QUIT");
        c_.write(out, "end of message data");
        return finish("end of message data", pipelined);
    }

    // The reply to the end of data, then QUIT's 221 (sent already when pipelined).
    Reply finish(const std::string& what, bool quit_sent) {
        const Reply final_reply = c_.read(what);
        c_.quit_quietly(quit_sent);
        if (!ok(final_reply)) reject(final_reply, what, Stage::data_end);
        return final_reply;
    }

    static std::string bdat(std::uint64_t n, bool last) {
        return "BDAT " + std::to_string(n) + (last ? " LAST" : "");
    }

    Reply run_bdat() {
        const bool pipelined = c_.caps.pipelining;
        const std::uint64_t total = reader_.size();
        const std::uint64_t chunk = c_.config.chunk_size ? c_.config.chunk_size : 1 << 20;
        const std::size_t n1 = std::min(chunk, total);
        // With one recipient a refused RCPT leaves no recipient, so BDAT LAST in
        // the same flight cannot deliver to a subset; with several it could, so
        // the first chunk goes without LAST until every RCPT is known to be good.
        const bool last1 = n1 == total && (!pipelined || envelope_.recipients.size() == 1);
        std::string bytes;
        reader_.append(0, n1, bytes);
        const std::string first = bdat(n1, last1);
        const Reply r1 = envelope_flight(first, bytes, last1);
        if (last1) {
            if (!ok(r1)) {
                if (!pipelined)
                    c_.quit_quietly();
                else
                    c_.read_quietly("QUIT");
                reject(r1, first, Stage::data_end);
            }
            c_.quit_quietly(pipelined);
            return r1;
        }
        if (!ok(r1)) {
            c_.reset_and_quit();
            reject(r1, first, Stage::data_end);
        }
        return send_chunks(n1, chunk);
    }

    // Every chunk after the first, pipelined within a window; QUIT rides with
    // the last chunk when PIPELINING allows.
    Reply send_chunks(std::uint64_t offset, std::uint64_t chunk) {
        const bool pipelined = c_.caps.pipelining;
        const std::uint64_t total = reader_.size();
        std::deque<std::string> outstanding;
        std::string buf;
        for (;;) {
            const std::size_t n = std::min(chunk, total - offset);
            const bool last = offset + n == total;
            const std::string cmd = bdat(n, last);
            buf.clear();
            Conversation::add(buf, cmd);
            log::dialogue('>', "[" + std::to_string(n) + " bytes of message data]");
            reader_.append(offset, n, buf);
            offset += n;
            if (last && pipelined) Conversation::add(buf, "QUIT");
            c_.write(buf, cmd);
            outstanding.push_back(cmd);
            const std::size_t keep = last || !pipelined ? 0 : bdat_window - 1;
            while (outstanding.size() > keep) {
                const std::string what = outstanding.front();
                outstanding.pop_front();
                if (outstanding.empty() && last) return finish(what, pipelined);
                const Reply r = c_.read(what);
                // RFC 3030 2: after a failed chunk no further BDAT may be sent; the
                // connection is closed without LAST, so nothing is delivered.
                if (!ok(r)) reject(r, what, Stage::data_end);
            }
        }
    }

    Conversation& c_;
    const Envelope& envelope_;
    const Content& content_;
    ContentReader reader_;
    std::vector<RecipientRefusal> refused_;
};

}  // namespace

SubmitResult transact(Conversation& c, const Envelope& envelope, const Content& content) {
    return Transaction(c, envelope, content).run();
}

}  // namespace okuru::smtp

#include "server/session.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <optional>

#include "base/errors.hpp"
#include "base/fd.hpp"
#include "server/command.hpp"

namespace okuru::server {
namespace {

// Parameter values such as BODY's are case-insensitive (RFC 5321 2.4).
std::string upper(std::string s) {
    for (char& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// The content of one DATA: an anonymous file (memory-backed, so no directory
// is needed) written in large chunks.
class DataFile {
  public:
    DataFile() : fd_(::memfd_create("okuru-smtp-data", MFD_CLOEXEC)) {
        if (!fd_) throw_system(Exit::oserr, "memfd_create", errno);
    }
    void add(std::string_view bytes) {
        buf_.append(bytes);
        size_ += bytes.size();
        if (buf_.size() >= 64 * 1024) flush();
    }
    std::size_t size() const { return size_; }
    // Flushed and rewound, for the Deliverer.
    int rewound() {
        flush();
        if (::lseek(fd_.get(), 0, SEEK_SET) != 0) throw_system(Exit::oserr, "lseek", errno);
        return fd_.get();
    }

  private:
    void flush() {
        write_all(fd_.get(), buf_, "the message received");
        buf_.clear();
    }
    Fd fd_;
    std::string buf_;
    std::size_t size_ = 0;
};

class Session {
  public:
    Session(Input& in, Output& out, const Setting& s)
        : out_(out), s_(s), reader_(in, s.limits.idle, [this] { flush(); }) {}

    Ending run() {
        // RFC 5321 4.3.1: the greeting.
        reply(220, s_.hostname + " ESMTP okuru: submission to the configured relay");
        std::string line;
        for (;;) {
            const auto st = reader_.next(line, s_.limits.max_command_line);
            if (st == LineReader::Status::eof) return end(Ending::eof);
            if (st == LineReader::Status::timeout) {
                reply(421, "4.4.2 " + s_.hostname + " idle too long, closing");
                return end(Ending::timeout);
            }
            if (st == LineReader::Status::partial) {
                const auto rest = reader_.skip_line();
                if (error(500, "5.5.2 line too long")) return end(Ending::too_many_errors);
                if (rest == LineReader::Status::eof || rest == LineReader::Status::timeout)
                    return end(rest == LineReader::Status::eof ? Ending::eof : Ending::timeout);
                continue;
            }
            if (auto ending = command(parse_command(line))) return end(*ending);
        }
    }

  private:
    Ending end(Ending e) {
        flush();
        return e;
    }
    void flush() {
        if (!pending_.empty()) out_.write(pending_);
        pending_.clear();
    }
    void reply(int code, const std::string& text) {
        pending_ += std::to_string(code) + " " + text + "\r\n";
    }
    // An error reply; true when the cap is reached (the session then ends with 421).
    bool error(int code, const std::string& text) {
        reply(code, text);
        if (++errors_ < s_.limits.max_errors) return false;
        reply(421, "4.7.0 " + s_.hostname + " too many errors, closing");
        return true;
    }
    void reset() { tx_.reset(); }

    // One command; an Ending when the session is over.
    std::optional<Ending> command(const Command& c) {
        bool capped = false;
        switch (c.verb) {
            case Verb::ehlo:
            case Verb::helo:
                if (c.arg.empty()) {
                    capped = error(501, "5.5.4 " + c.name + " needs a domain or address literal");
                    break;
                }
                // RFC 5321 4.1.4: EHLO/HELO also resets any transaction.
                reset();
                greeted_ = true;
                if (c.verb == Verb::helo) {
                    reply(250, s_.hostname);
                } else {
                    // RFC 2920 (replies are flushed only when the input runs
                    // dry), RFC 6152, RFC 6531, RFC 1870, RFC 2034. No AUTH, no
                    // STARTTLS: the client is a local process.
                    pending_ += "250-" + s_.hostname + "\r\n250-PIPELINING\r\n250-8BITMIME\r\n" +
                                "250-SMTPUTF8\r\n250-SIZE " +
                                std::to_string(s_.limits.max_message) +
                                "\r\n250 ENHANCEDSTATUSCODES\r\n";
                }
                break;
            case Verb::mail:
                capped = mail(c);
                break;
            case Verb::rcpt:
                capped = rcpt(c);
                break;
            case Verb::data:
                return data(c, capped);
            case Verb::rset:
                reset();
                reply(250, "2.0.0 reset");
                break;
            case Verb::noop:
                reply(250, "2.0.0 OK");
                break;
            case Verb::quit:
                reply(221, "2.0.0 " + s_.hostname + " closing");
                return Ending::quit;
            case Verb::vrfy:
                // RFC 5321 3.5.3: 252 when the server will not verify.
                reply(252, "2.5.0 cannot verify; send the message and the relay will try");
                break;
            case Verb::help:
                reply(214, "2.0.0 EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP");
                break;
            case Verb::not_offered:
                capped = error(502, "5.5.1 " + c.name + " is not offered here");
                break;
            case Verb::unknown:
                capped = error(500, "5.5.2 unrecognised command");
                break;
        }
        if (capped) return Ending::too_many_errors;
        return std::nullopt;
    }

    bool mail(const Command& c) {
        if (!greeted_) return error(503, "5.5.1 send EHLO or HELO first");
        if (tx_) return error(503, "5.5.1 a transaction is already open: RSET first");
        auto path = parse_path_argument(c.arg, "FROM:");
        if (!path) return error(501, "5.5.4 syntax: MAIL FROM:<address> [parameters]");
        Transaction tx;
        for (const auto& [key, value] : path->params) {
            if (key == "SIZE") {
                // RFC 1870 6.1: a declared size over the limit is refused at once.
                std::size_t declared = 0;
                for (char ch : value) {
                    if (ch < '0' || ch > '9' || declared > s_.limits.max_message)
                        return error(501, "5.5.4 bad SIZE value");
                    declared = declared * 10 + std::size_t(ch - '0');
                }
                if (value.empty()) return error(501, "5.5.4 bad SIZE value");
                if (declared > s_.limits.max_message)
                    return error(552, "5.3.4 message size exceeds the limit of " +
                                          std::to_string(s_.limits.max_message) + " octets");
            } else if (key == "BODY" && (upper(value) == "8BITMIME" || upper(value) == "7BIT")) {
                tx.eight_bit = upper(value) == "8BITMIME";
            } else if (key == "SMTPUTF8" && value.empty()) {
                tx.smtputf8 = true;
            } else {
                return error(555, "5.5.4 parameter " + key + " is not supported");
            }
        }
        if (!path->path.empty()) {
            if (auto why = checked(path->path, true); !why.empty())
                return error(553, "5.1.7 " + why);
        }
        tx.sender = path->path;
        tx_ = std::move(tx);
        reply(250, "2.1.0 sender OK");
        return false;
    }

    bool rcpt(const Command& c) {
        if (!tx_) return error(503, "5.5.1 MAIL first");
        auto path = parse_path_argument(c.arg, "TO:");
        if (!path || path->path.empty())
            return error(501, "5.5.4 syntax: RCPT TO:<address> [parameters]");
        if (!path->params.empty())
            return error(555,
                         "5.5.4 parameter " + path->params.front().first + " is not supported");
        if (tx_->recipients.size() >= s_.limits.max_recipients)
            return error(452, "4.5.3 too many recipients");
        if (auto why = checked(path->path, false); !why.empty()) return error(553, "5.1.3 " + why);
        tx_->recipients.push_back(path->path);
        reply(250, "2.1.5 recipient OK");
        return false;
    }

    std::string checked(const std::string& address, bool sender) const {
        return s_.check_address ? s_.check_address(address, sender) : std::string();
    }

    // DATA (RFC 5321 4.1.1.4): the content up to the line ".", dot-unstuffed
    // (4.5.2), then one reply for the whole message (4.2.5).
    std::optional<Ending> data(const Command& c, bool& capped) {
        if (!c.arg.empty() || !tx_ || tx_->recipients.empty()) {
            capped = !c.arg.empty() ? error(501, "5.5.4 DATA takes no argument")
                     : !tx_         ? error(503, "5.5.1 MAIL first")
                                    : error(503, "5.5.1 RCPT first");
            if (capped) return Ending::too_many_errors;
            return std::nullopt;
        }
        reply(354, "end data with <CR><LF>.<CR><LF>");
        DataFile file;
        bool too_big = false;
        bool line_start = true;
        std::string chunk;
        for (;;) {
            const auto st = reader_.next(chunk, 64 * 1024);
            if (st == LineReader::Status::eof) return Ending::eof;  // nothing is delivered
            if (st == LineReader::Status::timeout) {
                reply(421, "4.4.2 " + s_.hostname + " idle too long in DATA, closing");
                return Ending::timeout;
            }
            if (line_start && chunk == "." && st == LineReader::Status::line) break;
            std::string_view bytes = chunk;
            if (line_start && !bytes.empty() && bytes.front() == '.') bytes.remove_prefix(1);
            // Past the limit the rest is read and dropped, so that the reply
            // comes after the final dot where the client expects it.
            if (!too_big) {
                if (file.size() + bytes.size() + 2 > s_.limits.max_message) {
                    too_big = true;
                } else {
                    file.add(bytes);
                    if (st == LineReader::Status::line) file.add("\r\n");
                }
            }
            line_start = st == LineReader::Status::line;
        }
        const Transaction tx = std::move(*tx_);
        reset();
        if (too_big) {
            capped = error(552, "5.3.4 message size exceeds the limit of " +
                                    std::to_string(s_.limits.max_message) + " octets");
            if (capped) return Ending::too_many_errors;
            return std::nullopt;
        }
        // One reply for the whole message, after the relay's answer (written
        // before the next read, like every reply).
        DataReply r = s_.deliver(tx, file.rewound());
        reply(r.code, r.text);
        return std::nullopt;
    }

    Output& out_;
    const Setting& s_;
    LineReader reader_;
    std::string pending_;
    std::optional<Transaction> tx_;
    bool greeted_ = false;
    int errors_ = 0;
};

}  // namespace

Ending run_session(Input& in, Output& out, const Setting& setting) {
    Session session(in, out, setting);
    return session.run();
}

}  // namespace okuru::server

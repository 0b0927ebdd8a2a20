#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "message/data_writer.hpp"

using okuru::DotStuffer;
using okuru::LineNormalizer;

namespace {

std::string normalise(std::string_view in) {
    LineNormalizer n;
    std::string out;
    n.feed(in, out);
    n.finish(out);
    return out;
}

// Normalise + dot-stuff + terminator, feeding the pieces given.
std::string wire(const std::vector<std::string>& pieces) {
    LineNormalizer n;
    DotStuffer d;
    std::string norm, out;
    for (const auto& p : pieces) {
        norm.clear();
        n.feed(p, norm);
        d.feed(norm, out);
    }
    norm.clear();
    n.finish(norm);
    d.feed(norm, out);
    out += DotStuffer::terminator;
    return out;
}

// A byte-at-a-time model of the rules, written independently of the real code.
std::string reference(std::string_view in) {
    std::string lines, out;
    bool open = false;  // a line has octets and no ending yet
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < in.size() && in[i + 1] == '\n') ++i;
            lines += "\r\n";
            open = false;
            continue;
        }
        lines += c;
        open = true;
    }
    if (open) lines += "\r\n";
    bool start = true;
    for (char c : lines) {
        if (start && c == '.') out += '.';
        out += c;
        start = c == '\n';
    }
    return out + ".\r\n";
}

// Every line ending is CR LF, the only end-of-data marker is the last one, and
// undoing the stuffing (what the server does) gives the normalised text back.
void check_wire(const std::string& w, const std::string& normalised) {
    INFO("wire: " << w);
    REQUIRE(w.size() >= 3);
    const std::string data = "\r\n" + w;  // the DATA command's own CR LF precedes the data
    CHECK(data.find("\r\n.\r\n") == data.size() - 5);
    for (std::size_t i = 0; i < w.size(); ++i) {
        if (w[i] == '\r') CHECK((i + 1 < w.size() && w[i + 1] == '\n'));
        if (w[i] == '\n') CHECK((i > 0 && w[i - 1] == '\r'));
    }
    // RFC 5321 4.5.2, receiver side: drop the first '.' of each line.
    std::string unstuffed;
    const std::string body = w.substr(0, w.size() - 3);
    for (std::size_t pos = 0; pos < body.size();) {
        const std::size_t end = body.find("\r\n", pos) + 2;
        const std::string line = body.substr(pos, end - pos);
        unstuffed += line[0] == '.' ? line.substr(1) : line;
        pos = end;
    }
    CHECK(unstuffed == normalised);
}

}  // namespace

TEST_CASE("data_writer - line endings become CR LF") {
    auto [in, out] = GENERATE(table<std::string, std::string>({
        {"a\r\nb\r\n", "a\r\nb\r\n"},
        {"a\nb\n", "a\r\nb\r\n"},
        {"a\rb\r", "a\r\nb\r\n"},
        {"a\r\r\nb", "a\r\n\r\nb\r\n"},  // bare CR, then CR LF
        {"a\n\rb", "a\r\n\r\nb\r\n"},    // LF then bare CR: two endings
        {"a\r\n\nb", "a\r\n\r\nb\r\n"},
        {"no final newline", "no final newline\r\n"},
        {"", ""},
        {"\n", "\r\n"},
        {"\r", "\r\n"},
        {"x\r", "x\r\n"},
    }));
    CAPTURE(in);
    CHECK(normalise(in) == out);
}

TEST_CASE("data_writer - SMTP smuggling sequences never end the data early") {
    const std::string seq = GENERATE(
        as<std::string>{}, "\n.\n", "\r.\r", "\r.\n", "\n.\r", "\n.\r\n", "\r\n.\n", "\r.\r\n",
        "\r\n.\r", "\r\n.\r\r\n", "\r\n.\r\n", "\n..\n", "\r\n.\rMAIL FROM:<x>\r\n", "\n\n.\n\n");
    const std::string body = "Subject: x\r\n\r\nhello" + seq + "RCPT TO:<evil@x>\r\n" + seq;
    CAPTURE(seq);
    const std::string w = wire({body});
    check_wire(w, normalise(body));
    CHECK(w == reference(body));
    // The same with the sequence cut at every possible point.
    for (std::size_t cut = 1; cut < body.size(); ++cut)
        CHECK(wire({body.substr(0, cut), body.substr(cut)}) == w);
}

TEST_CASE("data_writer - chunk boundaries do not change the output") {
    std::mt19937 rng(GENERATE(1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u));
    const char alphabet[] = {'a', '.', '\r', '\n', '.', 'b'};
    std::string in;
    const std::size_t len = std::uniform_int_distribution<std::size_t>(0, 3000)(rng);
    for (std::size_t i = 0; i < len; ++i) in += alphabet[rng() % sizeof alphabet];
    if (rng() % 2) in.insert(rng() % (in.size() + 1), std::string(2500, 'x'));  // long lines
    const std::string whole = wire({in});
    CHECK(whole == reference(in));
    check_wire(whole, normalise(in));

    std::vector<std::string> bytes;
    for (char c : in) bytes.emplace_back(1, c);
    CHECK(wire(bytes) == whole);

    std::vector<std::string> pieces;
    for (std::size_t i = 0; i < in.size();) {
        const std::size_t n = std::min<std::size_t>(in.size() - i, rng() % 40);
        pieces.push_back(in.substr(i, n));  // empty pieces too
        i += n;
    }
    CHECK(wire(pieces) == whole);
}

// Over-long lines are read_message's business (fold_field, encode_long_lines):
// the normalizer never cuts one.
TEST_CASE("data_writer - lines of any length are kept whole") {
    const std::size_t len = GENERATE(997u, 998u, 999u, 1996u, 1997u, 2000u, 70000u);
    CAPTURE(len);
    const std::string line(len, 'y');
    CHECK(normalise(line + "\n" + "next") == line + "\r\nnext\r\n");
    CHECK(normalise(line) == line + "\r\n");
}

TEST_CASE("data_writer - a long line whose ending arrives in the next chunk is one line") {
    const std::size_t len = GENERATE(998u, 999u, 5000u);
    LineNormalizer n;
    std::string out;
    n.feed(std::string(len, 'z'), out);
    n.feed("\r", out);
    n.feed("\nw", out);
    n.finish(out);
    CHECK(out == std::string(len, 'z') + "\r\nw\r\n");
}

TEST_CASE("data_writer - CR at a chunk end") {
    auto [second, expected] = GENERATE(table<std::string, std::string>({
        {"\nb", "a\r\nb\r\n"},  // CR | LF: one ending
        {"b", "a\r\nb\r\n"},    // CR | b: bare CR
        {"\rb", "a\r\n\r\nb\r\n"},
        {"", "a\r\n"},
    }));
    LineNormalizer n;
    std::string out;
    n.feed("a\r", out);
    CHECK(out == "a");  // undecided until the next octet
    n.feed(second, out);
    n.finish(out);
    CHECK(out == expected);
}

TEST_CASE("data_writer - feed_line stops after each line ending") {
    LineNormalizer n;
    std::string_view in = "ab\ncd\r\ref";
    std::vector<std::string> lines;
    std::string cur;
    while (!in.empty()) {
        const auto r = n.feed_line(in, cur);
        in.remove_prefix(r.consumed);
        if (r.complete) {
            lines.push_back(cur);
            cur.clear();
        }
    }
    n.finish(cur);
    lines.push_back(cur);
    CHECK(lines == std::vector<std::string>{"ab\r\n", "cd\r\n", "\r\n", "ef\r\n"});

    // A line longer than 998 octets is one line too, however it arrives.
    LineNormalizer m;
    std::string out;
    const std::string longline(1000, 'q');
    auto r = m.feed_line(longline, out);
    CHECK_FALSE(r.complete);
    CHECK(r.consumed == 1000);
    r = m.feed_line("q\r\nnext\n", out);
    CHECK(r.complete);
    CHECK(r.consumed == 3);
    CHECK(out == longline + "q\r\n");
}

TEST_CASE("data_writer - dot stuffing") {
    auto [in, out] = GENERATE(table<std::string, std::string>({
        {".\r\n", "..\r\n"},
        {"a\r\n.\r\n", "a\r\n..\r\n"},
        {"..x\r\n", "...x\r\n"},
        {"a.b\r\n.c\r\n", "a.b\r\n..c\r\n"},
        {"\r\n.\r\n.\r\n", "\r\n..\r\n..\r\n"},
        {"", ""},
    }));
    DotStuffer d;
    std::string got;
    d.feed(in, got);
    CHECK(got == out);
    // A dot at the start of a chunk that follows a line ending is still stuffed.
    DotStuffer e;
    std::string pieces;
    for (char c : in) e.feed(std::string(1, c), pieces);
    CHECK(pieces == out);
}

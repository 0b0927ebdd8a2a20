#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "base/errors.hpp"
#include "message/message.hpp"
#include "message_test_util.hpp"

using namespace okuru;
using okuru::test::body_of;
using okuru::test::read_string;

TEST_CASE("message - the header block ends at the first empty line") {
    using Fields = std::vector<std::pair<std::string, std::string>>;
    auto [in, fields, body] = GENERATE(table<std::string, Fields, std::string>({
        {"Subject: hi\nTo: a@x\n\nbody\n", Fields{{"Subject", " hi"}, {"To", " a@x"}}, "body\r\n"},
        {"Subject: a\n  b\n\tc\nTo:x\n\nB", Fields{{"Subject", " a\r\n  b\r\n\tc"}, {"To", "x"}},
         "B\r\n"},
        {"Subject: only headers\n", Fields{{"Subject", " only headers"}}, ""},
        {"Subject: no newline", Fields{{"Subject", " no newline"}}, ""},
        {"Subject: cr at end\r", Fields{{"Subject", " cr at end"}}, ""},
        {"hello world\nSubject: no\n", Fields{}, "hello world\r\nSubject: no\r\n"},
        {"From me@x Tue Jan  1 00:00:00 2030\nSubject: mbox\n\nb\n", Fields{{"Subject", " mbox"}},
         "b\r\n"},
        {"\nbody after an empty first line\n", Fields{}, "body after an empty first line\r\n"},
        {" leading space\nX: y\n", Fields{}, " leading space\r\nX: y\r\n"},
        {"Subject: x\nnot a header\n\nmore\n", Fields{{"Subject", " x"}},
         "not a header\r\n\r\nmore\r\n"},
        {"Bad Name: x\n\nb\n", Fields{}, "Bad Name: x\r\n\r\nb\r\n"},
        {"X-\xc3\x9cml: x\n", Fields{}, "X-\xc3\x9cml: x\r\n"},
        {": empty name\n", Fields{}, ": empty name\r\n"},
        // PHP mail(): CRLF and LF mixed.
        {"Subject: x\r\nTo: y\n\r\nline1\r\nline2\nline3", Fields{{"Subject", " x"}, {"To", " y"}},
         "line1\r\nline2\r\nline3\r\n"},
        {"Subject: x\rTo: y\r\rbody\r", Fields{{"Subject", " x"}, {"To", " y"}}, "body\r\n"},
        {"Subject: x\n\n\n\nb\n", Fields{{"Subject", " x"}}, "\r\n\r\nb\r\n"},
    }));
    CAPTURE(in);
    for (bool dot : {true, false}) {
        InputMessage m = read_string(in, ReadOptions{dot, 1 << 20});
        Fields got;
        for (const auto& f : m.headers.fields()) got.emplace_back(f.name, f.value);
        CHECK(got == fields);
        CHECK(body_of(m) == body);
    }
}

TEST_CASE("message - a lone dot ends input only without -i") {
    auto [in, with_dot, without_dot] = GENERATE(table<std::string, std::string, std::string>({
        {"S: x\n\na\n.\nb\n", "a\r\n", "a\r\n.\r\nb\r\n"},
        {"S: x\n\na\r\n.\r\nb\r\n", "a\r\n", "a\r\n.\r\nb\r\n"},
        {"S: x\n\na\r.\rb", "a\r\n", "a\r\n.\r\nb\r\n"},
        {"S: x\n\na\n.\r\nb", "a\r\n", "a\r\n.\r\nb\r\n"},
        {"S: x\n\na\n..\nb", "a\r\n..\r\nb\r\n", "a\r\n..\r\nb\r\n"},
        {"S: x\n\na\n. \nb", "a\r\n. \r\nb\r\n", "a\r\n. \r\nb\r\n"},
        {"S: x\n\na\n.", "a\r\n", "a\r\n.\r\n"},
        {"S: x\n\n.\n", "", ".\r\n"},
        {"S: x\n.\nrest\n", "", ".\r\nrest\r\n"},
        {"x.\n.x\n", "x.\r\n.x\r\n", "x.\r\n.x\r\n"},
    }));
    CAPTURE(in);
    CHECK(body_of(read_string(in, ReadOptions{true, 1 << 20})) == with_dot);
    CHECK(body_of(read_string(in, ReadOptions{false, 1 << 20})) == without_dot);
}

TEST_CASE("message - a lone dot does not wait for the end of input") {
    int p[2];
    REQUIRE(::pipe(p) == 0);
    const std::string in = "Subject: x\n\nbody\n.\n";
    REQUIRE(::write(p[1], in.data(), in.size()) == ssize_t(in.size()));
    // Guard: if read_message waited for EOF, this closes the pipe after 5 s.
    std::promise<void> returned;
    std::thread guard([w = p[1], f = returned.get_future()] {
        f.wait_for(std::chrono::seconds(5));
        ::close(w);
    });
    const auto start = std::chrono::steady_clock::now();
    InputMessage m = read_message(p[0], ReadOptions{});
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
    returned.set_value();
    CHECK(body_of(m) == "body\r\n");
    guard.join();
    ::close(p[0]);
}

TEST_CASE("message - a dot at a read-buffer boundary") {
    // A regular file makes read() return whole 64 KiB chunks, so the boundary
    // falls exactly where we put it.
    const std::size_t dot_at = GENERATE(65534u, 65535u, 65536u, 65537u, 131072u);
    const std::string head = "Subject: x\n\n";
    std::string text;
    while (head.size() + text.size() < dot_at - 1) text += "line of text\n";
    text.resize(dot_at - head.size() - 1);
    text += '\n';
    REQUIRE(head.size() + text.size() == dot_at);
    const std::string in = head + text + ".\nafter\n";
    CAPTURE(dot_at);
    std::string expected;
    for (char c : text) expected += c == '\n' ? std::string("\r\n") : std::string(1, c);
    CHECK(body_of(okuru::test::read_file(in, ReadOptions{true, 1 << 20})) == expected);
    CHECK(body_of(okuru::test::read_file(in, ReadOptions{false, 1 << 20})) ==
          expected + ".\r\nafter\r\n");
}

TEST_CASE("message - NUL bytes: dropped from header fields, kept in the body") {
    using namespace std::string_literals;
    const bool dot = GENERATE(true, false);
    CAPTURE(dot);
    {
        SECTION("in a field name and value") {
            const auto m = read_string("Sub\0ject: x\0y\nTo: a@b\n\nbody\n"s, {dot, 1 << 20});
            REQUIRE(m.headers.fields().size() == 2);
            CHECK(m.headers.fields()[0].name == "Subject");
            CHECK(m.headers.fields()[0].value == " xy");
            CHECK(m.nul_dropped == 2);
            CHECK(m.nul_in_body == 0);
            CHECK(body_of(m) == "body\r\n");
        }
        SECTION("in the body, byte for byte (a dead letter keeps them)") {
            const auto m = read_string("S: x\n\na\r\n\0.\r\nli\0\0ne\n"s, {dot, 1 << 20});
            CHECK(body_of(m) == "a\r\n\0.\r\nli\0\0ne\r\n"s);
            CHECK(m.nul_in_body == 3);
            CHECK(m.nul_dropped == 0);
        }
        SECTION("a first line that is no header field starts the body with its bytes") {
            const auto m = read_string("ab\0c\nd\n"s, {dot, 1 << 20});
            CHECK(m.headers.fields().empty());
            CHECK(body_of(m) == "ab\0c\r\nd\r\n"s);
            CHECK(m.nul_in_body == 1);
        }
        SECTION("a line of only NUL in the header block is body, not the separator") {
            const auto m = read_string("S: x\n\0\nT: y\n"s, {dot, 1 << 20});
            REQUIRE(m.headers.fields().size() == 1);
            CHECK(body_of(m) == "\0\r\nT: y\r\n"s);
        }
        SECTION("a NUL alone") {
            const auto m = read_string("\0"s, {dot, 1 << 20});
            CHECK(body_of(m) == "\0\r\n"s);
        }
    }
    SECTION(".\\0 is no lone dot") {
        const auto m = read_string("S: x\n\na\n.\0\nb\n"s, {true, 1 << 20});
        CHECK(body_of(m) == "a\r\n.\0\r\nb\r\n"s);
    }
}

TEST_CASE("message - empty input is an error") {
    auto [in, dot] = GENERATE(table<std::string, bool>({{"", true}, {"", false}, {".\n", true}}));
    try {
        read_string(in, ReadOptions{dot, 1 << 20});
        FAIL("accepted");
    } catch (const Error& e) {
        CHECK(e.code() == Exit::dataerr);
        CHECK(std::string(e.what()) == "empty message on standard input");
    }
}

TEST_CASE("message - the header block is size-limited") {
    auto [in, limit, text] = GENERATE(table<std::string, std::size_t, std::string>({
        {"X: " + std::string(3 << 20, 'a') + "\n\nbody\n", 1 << 20, "exceeds 1 MiB"},
        {[] {
             std::string s;
             while (s.size() < (2 << 20)) s += "X-Filler: some header value to fill the block\n";
             return s;
         }(),
         1 << 20, "exceeds 1 MiB"},
        {"Subject: " + std::string(2000, 'a') + "\n\n", 1000, "exceeds 1000 octets"},
    }));
    try {
        read_string(in, ReadOptions{true, limit});
        FAIL("accepted");
    } catch (const Error& e) {
        CHECK(e.code() == Exit::dataerr);
        CHECK_THAT(e.what(), Catch::StartsWith("header block " + text));
    }
    // A large body is fine: only the header block is limited.
    const std::string big_body = "Subject: x\n\n" + std::string(3 << 20, 'b') + "\n";
    CHECK(read_string(big_body, ReadOptions{}).body.size() > (3u << 20));
}

TEST_CASE("message - long header lines are kept whole when read, folded when rendered") {
    const std::string in =
        "X-Long: " + std::string(2500, 'h') + "\nTo: a@x\n\n" + std::string(20, 'b') + "\n";
    InputMessage m = read_string(in, ReadOptions{});
    REQUIRE(m.headers.fields().size() == 2);
    CHECK(m.headers.fields()[0].value == " " + std::string(2500, 'h'));
    CHECK(m.headers.fields()[1].name == "To");
    // No fold point: broken as Postfix does (CR LF SP), every line <= 998.
    CHECK(m.headers.render() == "X-Long: " + std::string(990, 'h') + "\r\n " +
                                    std::string(997, 'h') + "\r\n " + std::string(513, 'h') +
                                    "\r\nTo: a@x\r\n");
}

TEST_CASE("message - 8-bit content is detected") {
    auto [in, eight] = GENERATE(table<std::string, bool>({
        {"Subject: plain\n\nascii\n", false},
        {"Subject: J\xc3\xb6rg\n\nascii\n", true},
        {"Subject: plain\n\n\xe2\x82\xac\n", true},
        {"\xff binary first line\n", true},
    }));
    CHECK(read_string(in, ReadOptions{}).eight_bit == eight);
}

TEST_CASE("message - a binary blob without NUL is sent, not mangled beyond wire form") {
    std::string blob;
    std::uint32_t x = 12345;
    while (blob.size() < (3 << 20)) {
        x = x * 1103515245 + 12345;
        const char c = char(x >> 24);
        blob += c == '\0' ? '\x01' : c;
    }
    blob.insert(0, "\x89PNG");
    InputMessage m = read_string(blob, ReadOptions{false, 1 << 20});
    // No header block of its own; the MIME fields of the re-encoding only.
    REQUIRE(m.headers.fields().size() == 3);
    CHECK(m.headers.fields()[0].name == "MIME-Version");
    CHECK_FALSE(m.eight_bit);  // quoted-printable: 7-bit on the wire
    CHECK(m.body.size() >= blob.size());
    const std::string b = body_of(m);
    // Random octets have lines over 998 octets: the body is then sent as
    // quoted-printable (body_encode.hpp) rather than cut.
    CHECK(m.body_reencoded);
    CHECK(m.headers.find("Content-Transfer-Encoding")->value == " quoted-printable");
    CHECK(b.starts_with("=89PNG"));
    CHECK(b.ends_with("\r\n"));
    // Wire form: no bare CR or LF, no line over 998 octets.
    std::size_t col = 0, bad = 0;
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (b[i] == '\r')
            bad += b[i + 1] != '\n';
        else if (b[i] == '\n') {
            bad += b[i - 1] != '\r';
            col = 0;
            continue;
        }
        if (++col > 999) ++bad;
    }
    CHECK(bad == 0);
}

namespace {

// Peak resident set size so far (VmHWM), in KiB.
long peak_rss_kib() {
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kib = -1;
    while (std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "VmHWM: %ld kB", &kib) == 1) break;
    std::fclose(f);
    return kib;
}

}  // namespace

TEST_CASE("message - 200 MiB streams through in bounded memory") {
    // 64-octet LF lines, some starting with '.', so the lone-dot scan, the CR LF
    // conversion and the spill to the temporary file all run at full size.
    std::string pattern;
    for (int i = 0; pattern.size() < 65536; ++i) {
        std::string line = (i % 7 == 0 ? ".dotted " : "plain   ") + std::to_string(i);
        line.resize(63, 'x');
        pattern += line + "\n";
    }
    REQUIRE(pattern.size() == 65536);
    constexpr std::size_t repeats = 3200;  // 200 MiB
    const long before = peak_rss_kib();
    REQUIRE(before > 0);
    int p[2];
    REQUIRE(::pipe(p) == 0);
    std::thread writer([w = p[1], &pattern] {
        okuru::test::write_all_fd(w, "Subject: big\nTo: a@x.example\n\n");
        for (std::size_t i = 0; i < repeats; ++i) okuru::test::write_all_fd(w, pattern);
        ::close(w);
    });
    InputMessage m = read_message(p[0], ReadOptions{});
    writer.join();
    ::close(p[0]);
    const long growth_kib = peak_rss_kib() - before;
    CAPTURE(growth_kib);
    CHECK(growth_kib < 32 * 1024);
    CHECK(m.headers.fields().size() == 2);
    const std::uint64_t lines = repeats * 1024;
    CHECK(m.body.size() == lines * 65);
    // Spot checks: the first line, one in the middle, the end.
    std::string buf(65, '\0');
    REQUIRE(m.body.read_at(0, buf) == 65);
    CHECK(buf == ".dotted 0" + std::string(54, 'x') + "\r\n");
    REQUIRE(m.body.read_at((lines / 2 + 1) * 65, buf) == 65);
    CHECK(buf == "plain   1" + std::string(54, 'x') + "\r\n");
    CHECK(m.body.read_at(m.body.size() - 2, buf) == 2);
    CHECK(buf.substr(0, 2) == "\r\n");
}

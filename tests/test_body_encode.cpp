// Re-encoding bodies with lines over 998 octets (body_encode.hpp): the decoded
// content equals what was written, and a message that needs nothing passes
// byte for byte.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "message/body_encode.hpp"
#include "message_test_util.hpp"

using namespace okuru;
using okuru::test::body_of;
using okuru::test::read_string;

namespace {

std::string qp_decode(std::string_view in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '=') {
            out += in[i];
            continue;
        }
        if (in.substr(i + 1, 2) == "\r\n") {  // soft line break
            i += 2;
            continue;
        }
        out += char(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
        i += 2;
    }
    return out;
}

std::string b64_decode(std::string_view in) {
    static const std::string chars =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::uint32_t v = 0;
    int bits = 0;
    for (char c : in) {
        const auto at = chars.find(c);
        if (at == std::string::npos) continue;  // line breaks, padding
        v = (v << 6) | std::uint32_t(at);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += char((v >> bits) & 0xFF);
        }
    }
    return out;
}

void check_wire(const std::string& s, std::size_t max = 998) {
    std::size_t start = 0;
    while (start < s.size()) {
        const auto end = s.find("\r\n", start);
        REQUIRE(end != std::string::npos);
        CHECK(end - start <= max);
        start = end + 2;
    }
}

// "日本語" repeated into one line of `octets` octets or a little more.
std::string japanese_line(std::size_t octets) {
    std::string s;
    while (s.size() < octets) s += "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e ";
    return s;
}

std::string header_value(const InputMessage& m, const char* name) {
    const Header* h = m.headers.find(name);
    return h ? h->value : "";
}

}  // namespace

TEST_CASE("body encode - quoted-printable keeps characters whole and decodes back") {
    const std::string text = japanese_line(3000) + "\r\nsecond = line \t\r\n.\r\nend  ";
    std::string out;
    QpEncoder qp;
    qp.feed(text.substr(0, 1001), out);  // chunk ends inside a character
    qp.feed(text.substr(1001), out);
    qp.finish(out);
    check_wire(out + "\r\n", 76);
    CHECK(qp_decode(out) == text);
    // A soft break never splits the =XX=XX=XX of one character.
    std::size_t start = 0;
    for (auto end = out.find("=\r\n"); end != std::string::npos; end = out.find("=\r\n", start)) {
        const std::string line = out.substr(start, end - start);
        if (line.size() >= 9 && line[line.size() - 9] == '=') {
            const std::string last = qp_decode(line.substr(line.size() - 9));
            CHECK(static_cast<unsigned char>(last[0]) >= 0xC0);
        }
        start = end + 3;
    }
    CHECK(out.find("line =09\r\n") != std::string::npos);  // trailing blank encoded
    CHECK(out.ends_with("end =20"));
}

TEST_CASE("body encode - base64 in 76-character lines decodes back") {
    std::string data;
    for (int i = 0; i < 1000; ++i) data += char(i * 7);
    for (std::size_t split : {0, 1, 2, 500}) {
        std::string out;
        Base64Encoder b;
        b.feed(data.substr(0, split), out);
        b.feed(data.substr(split), out);
        b.finish(out);
        check_wire(out + "\r\n", 76);
        CHECK(b64_decode(out) == data);
    }
}

TEST_CASE("body encode - a message with no long line passes byte for byte") {
    const std::string in =
        "From: a@x.example\nTo: b@y.example\nSubject: golden\n"
        "Content-Type: text/plain; charset=utf-8\n\n" +
        japanese_line(990) + "\n" + std::string(998, 'x') + "\nlast\n";
    InputMessage m = read_string(in, ReadOptions{});
    CHECK_FALSE(m.body_reencoded);
    CHECK(m.headers.render() ==
          "From: a@x.example\r\nTo: b@y.example\r\nSubject: golden\r\n"
          "Content-Type: text/plain; charset=utf-8\r\n");
    CHECK(body_of(m) == japanese_line(990) + "\r\n" + std::string(998, 'x') + "\r\nlast\r\n");
}

TEST_CASE("body encode - a plain message with a long UTF-8 line becomes MIME quoted-printable") {
    const std::string line = japanese_line(5000);
    InputMessage m =
        read_string("Subject: long\n\nfirst\n" + line + "\n.dot\n", ReadOptions{false});
    CHECK(m.body_reencoded);
    CHECK(header_value(m, "MIME-Version") == " 1.0");
    CHECK(header_value(m, "Content-Type") == " text/plain; charset=utf-8");
    CHECK(header_value(m, "Content-Transfer-Encoding") == " quoted-printable");
    const std::string body = body_of(m);
    check_wire(body, 76);
    CHECK(qp_decode(body) == "first\r\n" + line + "\r\n.dot\r\n");
    CHECK_FALSE(m.eight_bit);  // all 7-bit now: no BODY=8BITMIME needed
}

TEST_CASE("body encode - a non-text single part becomes base64, its old encoding replaced") {
    std::string data = std::string(3000, 'z') + "\r\n" + std::string(10, 'y');
    InputMessage m = read_string(
        "MIME-Version: 1.0\nContent-Type: application/json\nContent-Transfer-Encoding: 8bit\n\n" +
            data + "\n",
        ReadOptions{});
    CHECK(m.body_reencoded);
    CHECK(m.headers.find_all("Content-Transfer-Encoding").size() == 1);
    CHECK(header_value(m, "Content-Transfer-Encoding") == " base64");
    CHECK(header_value(m, "Content-Type") == " application/json");
    const std::string body = body_of(m);
    check_wire(body, 76);
    CHECK(b64_decode(body) == data);
}

TEST_CASE("body encode - multipart: only the leaf with a long line changes") {
    const std::string html = "<p>" + japanese_line(4000) + "</p>";
    const std::string b64 = std::string(2000, 'Q');  // one long base64 line
    const std::string in =
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"outer\"\n\n"
        "preamble\n"
        "--outer\n"
        "Content-Type: text/plain\n\n"
        "short text\n"
        "--outer\n"
        "Content-Type: multipart/alternative;\n boundary=inner\n\n"
        "--inner\n"
        "Content-Type: text/html; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n\n" +
        html +
        "\n"
        "--inner--\n"
        "--outer\n"
        "Content-Type: image/png\n"
        "Content-Transfer-Encoding: base64\n\n" +
        b64 +
        "\n"
        "--outer--\n"
        "epilogue\n";
    InputMessage m = read_string(in, ReadOptions{});
    CHECK(m.body_reencoded);
    CHECK_FALSE(m.eight_bit);
    CHECK_FALSE(m.headers.find("Content-Transfer-Encoding"));  // the top is not a leaf
    const std::string body = body_of(m);
    check_wire(body);
    // Untouched parts keep their bytes.
    CHECK(
        body.starts_with("preamble\r\n--outer\r\nContent-Type: text/plain\r\n\r\n"
                         "short text\r\n--outer\r\n"
                         "Content-Type: multipart/alternative;\r\n boundary=inner\r\n\r\n"
                         "--inner\r\nContent-Type: text/html; charset=utf-8\r\n"
                         "Content-Transfer-Encoding: quoted-printable\r\n\r\n"));
    CHECK(body.ends_with("--outer--\r\nepilogue\r\n"));
    const auto html_start = body.find("quoted-printable\r\n\r\n") + 20;
    const auto html_end = body.find("--inner--");
    CHECK(qp_decode(body.substr(html_start, html_end - html_start)) == html + "\r\n");
    // The base64 part is re-wrapped, still base64, and decodes the same.
    const auto png_start = body.find("base64\r\n\r\n") + 10;
    const auto png_end = body.find("--outer--");
    const std::string png = body.substr(png_start, png_end - png_start);
    check_wire(png, 76);
    CHECK(b64_decode(png) == b64_decode(b64));
    CHECK(body.find("Content-Transfer-Encoding: base64\r\n") != std::string::npos);
}

TEST_CASE("body encode - quoted-printable with long lines gets soft breaks only") {
    std::string qp;
    for (int i = 0; i < 400; ++i) qp += "=E6=97=A5";
    InputMessage m = read_string(
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: quoted-printable\n\n" +
            qp + "\n",
        ReadOptions{});
    CHECK(m.body_reencoded);
    CHECK(header_value(m, "Content-Transfer-Encoding") == " quoted-printable");
    const std::string body = body_of(m);
    check_wire(body, 76);
    CHECK(qp_decode(body) == qp_decode(qp + "\r\n"));
}

TEST_CASE("body encode - a long line outside any part's content is broken, not lost") {
    const std::string in = "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n" +
                           std::string(1500, 'p') +
                           "\n--b\nContent-Type: text/plain\n\nok\n--b--\n";
    InputMessage m = read_string(in, ReadOptions{});
    const std::string body = body_of(m);
    check_wire(body);
    CHECK(body.starts_with(std::string(998, 'p') + "\r\n" + std::string(502, 'p') + "\r\n--b\r\n"));
}

TEST_CASE("body encode - lines longer than a read piece stream through, characters whole") {
    // 300 KiB lines: several 64 KiB pieces each, cut at character boundaries.
    const std::string text = japanese_line(300 * 1024);
    const std::string blob(200 * 1024, 'k');
    const std::string in =
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
        "--b\nContent-Type: text/plain; charset=utf-8\n\n" +
        text + "\n--b\nContent-Type: application/octet-stream\n\n" + blob + "\n--b--\n" +
        std::string(70 * 1024, 'e') + "\n";
    InputMessage m = read_string(in, ReadOptions{});
    CHECK(m.body_reencoded);
    const std::string body = body_of(m);
    check_wire(body);
    const auto t0 = body.find("quoted-printable\r\n\r\n") + 20;
    const auto t1 = body.find("\r\n--b\r\n", t0) + 2;
    CHECK(qp_decode(body.substr(t0, t1 - t0)) == text + "\r\n");
    const auto b0 = body.find("base64\r\n\r\n") + 10;
    const auto b1 = body.find("--b--", b0);
    CHECK(b64_decode(body.substr(b0, b1 - b0)) == blob);
    // The epilogue is no part's content: broken at 998 octets.
    CHECK(body.ends_with(std::string(70 * 1024 % 998, 'e') + "\r\n"));
}

TEST_CASE("body encode - a message/rfc822 part stays 8bit: the message inside is re-encoded") {
    const std::string line = japanese_line(2000);
    const std::string in =
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
        "--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: 8bit\n\n"
        "From: x@y.example\nSubject: inner\n\n" +
        line + "\n--b--\n";
    InputMessage m = read_string(in, ReadOptions{});
    CHECK(m.body_reencoded);
    const std::string body = body_of(m);
    check_wire(body);
    CHECK(
        body.starts_with("--b\r\nContent-Type: message/rfc822\r\n"
                         "Content-Transfer-Encoding: 8bit\r\n\r\n"
                         "From: x@y.example\r\nSubject: inner\r\n"
                         "Content-Transfer-Encoding: quoted-printable\r\n\r\n"));
    const auto q0 = body.find("quoted-printable\r\n\r\n") + 20;
    const auto q1 = body.find("--b--");
    CHECK(qp_decode(body.substr(q0, q1 - q0)) == line + "\r\n");
}

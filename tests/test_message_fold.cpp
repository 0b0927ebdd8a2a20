// Folding over-long header fields (RFC 5322 2.1.1, 2.2.3).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "message/address.hpp"
#include "message/header_fold.hpp"

using namespace okuru;

namespace {

std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const auto end = s.find("\r\n", start);
        out.push_back(s.substr(start, end - start));
        if (end == std::string::npos) return out;
        start = end + 2;
    }
}

// RFC 5322 2.2.3: unfolding removes every CR LF before WSP.
std::string unfolded(std::string s) {
    for (auto at = s.find("\r\n"); at != std::string::npos; at = s.find("\r\n", at)) s.erase(at, 2);
    return s;
}

void check_lines(const std::string& folded) {
    for (const std::string& l : lines_of(folded)) {
        CHECK(l.size() <= 998);
        CHECK(l.find_first_not_of(" \t") != std::string::npos);  // no WSP-only line
    }
}

}  // namespace

TEST_CASE("header fold - a field that fits keeps its bytes, folding included") {
    CHECK(fold_field("Subject", " short") == "Subject: short");
    const std::string odd = " a@x ,\r\n\t b@y (c)";
    CHECK(fold_field("To", odd) == "To:" + odd);
    const std::string exactly = " " + std::string(998 - 9, 'x');
    CHECK(fold_field("Subject", exactly) == "Subject:" + exactly);
}

TEST_CASE("header fold - a long To: list is folded after commas, never inside an address") {
    // PHP mail() with 50 recipients: one 1,600-octet line, no space after commas.
    std::string list;
    std::vector<std::string> addrs;
    for (int i = 0; i < 50; ++i) {
        addrs.push_back("recipient-number-" + std::to_string(i) + "@example.org");
        list += (i ? "," : " ") + addrs.back();
    }
    REQUIRE(list.size() > 1500);
    const std::string folded = fold_field("To", list);
    check_lines(folded);
    for (const std::string& l : lines_of(folded)) CHECK(l.size() <= 78);
    // The addresses read back are the same, whole.
    const auto parsed = parse_address_list(unfolded(folded).substr(3));
    REQUIRE(parsed.size() == addrs.size());
    for (std::size_t i = 0; i < addrs.size(); ++i) CHECK(parsed[i].addr_spec() == addrs[i]);
}

TEST_CASE("header fold - commas inside quotes or comments are not fold points") {
    std::string list = " \"Doe,John,Smith,Jones,Brown,Miller,Davis,Wilson,Taylor\" <a@x.example>";
    for (int i = 0; i < 40; ++i) list += ",(c,d,e)b" + std::to_string(i) + "@x.example";
    const std::string folded = fold_field("Cc", list);
    check_lines(folded);
    CHECK(folded.find("\"Doe,John,Smith,Jones,Brown,Miller,Davis,Wilson,Taylor\"") !=
          std::string::npos);
    CHECK(folded.find("(c,d,e)") != std::string::npos);
    CHECK(parse_address_list(unfolded(folded).substr(3)).size() == 41);
}

TEST_CASE("header fold - unstructured text folds at whitespace and unfolds to the same text") {
    std::string subject;
    for (int i = 0; i < 300; ++i) subject += " word" + std::to_string(i);
    const std::string folded = fold_field("Subject", subject);
    check_lines(folded);
    for (const std::string& l : lines_of(folded)) CHECK(l.size() <= 78);
    CHECK(unfolded(folded) == "Subject:" + subject);
    // An already folded long field is unfolded first, then refolded.
    const std::string long_first =
        " " + std::string(500, 'a') + " " + std::string(600, 'a') + "\r\n b c";
    const std::string twice = fold_field("Subject", long_first);
    check_lines(twice);
    CHECK(twice ==
          "Subject: " + std::string(500, 'a') + "\r\n " + std::string(600, 'a') + "\r\n b c");
    CHECK(unfolded(twice) == unfolded("Subject:" + long_first));
}

TEST_CASE("header fold - a token over 998 octets is broken as Postfix does, not in a character") {
    std::string word;
    while (word.size() < 2500) word += "\xe6\x97\xa5";  // U+65E5, three octets
    const std::string folded = fold_field("X-Data", " " + word);
    check_lines(folded);
    const auto lines = lines_of(folded);
    REQUIRE(lines.size() == 3);
    for (std::size_t i = 1; i < lines.size(); ++i) {
        CHECK(lines[i][0] == ' ');
        // Each continuation starts at a character: the octet after the SP leads.
        CHECK((static_cast<unsigned char>(lines[i][1]) & 0xC0) != 0x80);
    }
    // Removing the inserted CR LF SP gives the token back.
    std::string back = lines[0].substr(8);
    for (std::size_t i = 1; i < lines.size(); ++i) back += lines[i].substr(1);
    CHECK(back == word);
}

TEST_CASE("header fold - a long token between words is folded around, lines stay <= 998") {
    const std::string value = " short " + std::string(1200, 'z') + " tail words here";
    const std::string folded = fold_field("X-Mixed", value);
    check_lines(folded);
    CHECK(folded.starts_with("X-Mixed: short\r\n " + std::string(997, 'z') + "\r\n "));
}

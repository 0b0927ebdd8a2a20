// Wire encoding, streaming and pure. LineNormalizer turns any line ending
// (CR LF, bare LF, bare CR) into CR LF *before* anything else looks at lines, so
// no SMTP-smuggling sequence (\n.\n, \r.\r, \r\n.\r, ...) can survive as an
// end-of-data marker; DotStuffer applies RFC 5321 4.5.2 transparency for DATA.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace okuru {

class LineNormalizer {
  public:
    // RFC 5322 2.1.1: lines are at most 998 octets before CR LF. The normalizer
    // keeps lines whole, whatever their length: read_message folds an over-long
    // header field (fold_field) and re-encodes a body with an over-long line
    // (encode_long_lines), so that no line is cut inside a word or character.
    static constexpr std::size_t max_line = 998;

    // Appends the normalised form of `in` to `out`. Line state is kept across calls
    // (a CR at the end of one chunk and LF at the start of the next are one ending).
    // "\r\r\n" is two endings: a bare CR, then CR LF.
    void feed(std::string_view in, std::string& out);

    // Like feed, but stops right after the first line ending written to `out`.
    // The header parser uses this to see lines one at a time and switch to bulk
    // feed() for the body.
    struct LineResult {
        std::size_t consumed = 0;  // octets of `in` used
        bool complete = false;     // `out` received a line ending
    };
    LineResult feed_line(std::string_view in, std::string& out);

    // Flushes state; adds a final CR LF if the data did not end with a line ending.
    void finish(std::string& out);

  private:
    LineResult run(std::string_view in, std::string& out, bool one_line);

    bool pending_cr_ = false;  // a CR ended the last chunk: LF may follow
    bool line_open_ = false;   // an octet was written since the last line ending
};

class DotStuffer {
  public:
    // Input must already be CR LF normalised. Appends `in` to `out` with a '.'
    // doubled at the start of every line.
    void feed(std::string_view in, std::string& out);
    // The end-of-data marker; the data written before it always ends in CR LF.
    static constexpr std::string_view terminator = ".\r\n";

  private:
    bool at_line_start_ = true;
};

}  // namespace okuru

// The pieces of MIME (RFC 2045, RFC 2046) that encode_long_lines needs to
// follow a body's structure: its lines, and what a part's header says.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "message/spool.hpp"

namespace okuru::mime {

// The lines of a spooled body, without their CR LF, in pieces of at most
// piece_max octets, so that memory stays bounded whatever the line length.
class LineSource {
  public:
    static constexpr std::size_t piece_max = 64 * 1024;
    explicit LineSource(const Spool& s) : spool_(s) {}
    // The next piece; `complete` when it ends its line. A piece never ends
    // inside a UTF-8 character or between CR and LF. False at the end.
    bool next(std::string& piece, bool& complete);

  private:
    const Spool& spool_;
    std::string buf_;
    std::size_t pos_ = 0;
    std::uint64_t offset_ = 0;
};

// What a part's header says about its content.
struct PartType {
    std::string media;     // "text/plain", lower case; "" when absent
    std::string boundary;  // of a multipart
    std::string encoding;  // Content-Transfer-Encoding, lower case
    bool multipart() const { return media.starts_with("multipart/") && !boundary.empty(); }
};

// RFC 2045 5.1: type "/" subtype *(";" parameter); comments skipped.
void parse_content_type(std::string_view value, PartType& t);

// The unfolded value of field `name` among a part's header lines.
std::optional<std::string> field_of(const std::vector<std::string>& lines, std::string_view name);

// Well-formed UTF-8 (RFC 3629) or ASCII.
bool is_utf8_text(std::string_view s);

}  // namespace okuru::mime

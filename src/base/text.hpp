// Small ASCII text helpers shared by every layer. Protocol keywords, domain
// names and configuration words are ASCII case-insensitive (RFC 5321 2.4), so
// these never apply a locale.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace okuru {

std::string ascii_lower(std::string_view s);
std::string ascii_upper(std::string_view s);

// "a, b, c" for join(list, ", ").
std::string join(std::span<const std::string> list, std::string_view separator);

// True when `a` and `b` are equal ignoring ASCII case.
bool ascii_iequals(std::string_view a, std::string_view b);

// `s` without its leading and trailing blanks (SP and HTAB: RFC 5234's WSP).
std::string_view trim(std::string_view s);

}  // namespace okuru

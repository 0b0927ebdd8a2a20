// The configuration's keys: which key each table accepts, in the order of
// okuru.toml(5). The loader checks files against these lists, and
// --list-config-keys prints them for the doc tests and tools.
#pragma once

#include <string>
#include <vector>

namespace okuru {

// Every key a configuration may hold as a dotted TOML path, in the order of
// okuru.toml(5): "domain", ..., "defaults.host", ..., "accounts.*.host", ...,
// "accounts.*.pop_before_smtp.host", ..., "routes.*", "aliases.*". A "*" stands
// for a name the file chooses (an account name, a domain, a local name).
std::vector<std::string> config_key_paths();

}  // namespace okuru

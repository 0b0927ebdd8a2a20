// Placeholder so that the retry branch links: it only says that a notice is
// due. The notice branch replaces this file with the RFC 3464 implementation.
#include "app/notice.hpp"

#include <cstdio>

namespace okuru {

void notify_failure(const AttemptContext&, const SavedEnvelope& envelope, std::string_view,
                    const std::vector<Refusal>& refused, std::string_view why,
                    std::int64_t) noexcept {
    std::fprintf(stderr, "okuru: a failure notice to <%s> is due (%.*s, %zu recipient(s))\n",
                 envelope.sender.c_str(), int(why.size()), why.data(), refused.size());
}

}  // namespace okuru

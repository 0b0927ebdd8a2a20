// The message body in wire form (CRLF line endings, no line over 998 octets,
// not dot-stuffed), kept in memory while small and in an unlinked temporary
// file beyond that, so it can be read several times in constant memory.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace okuru {

class Spool {
  public:
    // Bytes kept in memory before spilling to a file in $TMPDIR (or /tmp).
    static constexpr std::size_t memory_limit = 1 << 20;

    Spool() = default;
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;
    Spool(Spool&&) noexcept;
    Spool& operator=(Spool&&) noexcept;
    ~Spool();

    // Throws Error(Exit::cantcreat / ioerr) if the temporary file fails.
    void append(std::string_view bytes);
    std::uint64_t size() const { return size_; }
    // Reads up to buf.size() bytes at offset; returns the count (0 at end).
    // Throws Error(Exit::ioerr) if the temporary file cannot be read.
    std::size_t read_at(std::uint64_t offset, std::span<char> buf) const;

  private:
    std::string memory_;
    int fd_ = -1;  // the unlinked temporary file once spilled
    std::uint64_t size_ = 0;
};

}  // namespace okuru

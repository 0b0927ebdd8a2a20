// libFuzzer target: the SMTP reply reader must turn any byte stream into replies
// or an okuru::Error, never crash, hang or read out of bounds.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "base/errors.hpp"
#include "smtp/smtp_reply.hpp"

namespace {

// Hands the input out in small, uneven pieces to exercise the line buffering.
class BytesTransport : public okuru::Transport {
  public:
    BytesTransport(const uint8_t* d, size_t n) : data_(d), size_(n) {}
    void write(std::string_view) override {}
    std::size_t read(std::span<char> buf, okuru::Clock::time_point) override {
        if (pos_ >= size_) return 0;
        std::size_t n = std::min({buf.size(), size_ - pos_, std::size_t(1 + (data_[pos_] % 61))});
        std::memcpy(buf.data(), data_ + pos_, n);
        pos_ += n;
        return n;
    }
    void start_tls(okuru::Clock::time_point) override {}
    bool secure() const override { return false; }
    std::string peer_name() const override { return "fuzz"; }

  private:
    const uint8_t* data_;
    size_t size_, pos_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    BytesTransport t(data, size);
    okuru::ReplyReader reader(t);
    try {
        for (int i = 0; i < 64; ++i) {
            okuru::Reply r = reader.read(std::chrono::milliseconds(1000));
            if (r.code < 200 || r.code > 599) __builtin_trap();
            (void)r.str();
        }
    } catch (const okuru::Error&) {
    }
    return 0;
}

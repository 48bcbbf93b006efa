#include "libs/core/utf8.h"

namespace store {
namespace {

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

size_t ValidUtf8SequenceAt(absl::string_view text, size_t pos) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[pos + i]); };
  const unsigned char c = byte(0);
  const size_t left = text.size() - pos;
  if (c < 0x80) return 1;
  if (c < 0xC2) return 0;  // continuation byte, or overlong 2-byte lead
  if (c < 0xE0) return left >= 2 && IsContinuation(byte(1)) ? 2 : 0;
  if (c < 0xF0) {
    if (left < 3 || !IsContinuation(byte(1)) || !IsContinuation(byte(2))) return 0;
    if (c == 0xE0 && byte(1) < 0xA0) return 0;   // overlong
    if (c == 0xED && byte(1) >= 0xA0) return 0;  // UTF-16 surrogates
    return 3;
  }
  if (c < 0xF5) {
    if (left < 4 || !IsContinuation(byte(1)) || !IsContinuation(byte(2)) ||
        !IsContinuation(byte(3))) {
      return 0;
    }
    if (c == 0xF0 && byte(1) < 0x90) return 0;   // overlong
    if (c == 0xF4 && byte(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

size_t ValidUtf8Prefix(absl::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t n = ValidUtf8SequenceAt(text, pos);
    if (n == 0) return pos;
    pos += n;
  }
  return pos;
}

size_t CodePointCount(absl::string_view text) {
  size_t count = 0;
  for (unsigned char c : text) {
    if (!IsContinuation(c)) ++count;
  }
  return count;
}

size_t SequenceLength(absl::string_view text, size_t pos) {
  const size_t n = ValidUtf8SequenceAt(text, pos);
  return n == 0 ? 1 : n;
}

}  // namespace store

// Small UTF-8 helpers shared by the newsletter domain code (templates, mail
// headers, subject lint). Strict validation per RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF.
#ifndef STORE_LIBS_CORE_UTF8_H_
#define STORE_LIBS_CORE_UTF8_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace store {

// The length in bytes of the longest prefix of `text` that is valid UTF-8;
// equal to text.size() when all of `text` is valid.
size_t ValidUtf8Prefix(absl::string_view text);

inline bool IsValidUtf8(absl::string_view text) { return ValidUtf8Prefix(text) == text.size(); }

// The number of code points in `text` (for invalid UTF-8: the number of bytes
// that are not continuation bytes, a sensible approximation).
size_t CodePointCount(absl::string_view text);

// The length of the valid UTF-8 sequence that starts at text[pos] (1..4),
// or 0 when the bytes there are no valid sequence (pos < text.size()).
size_t ValidUtf8SequenceAt(absl::string_view text, size_t pos);

// The length of the UTF-8 sequence that starts at text[pos] in valid UTF-8
// (1..4; 1 for a stray byte).
size_t SequenceLength(absl::string_view text, size_t pos);

}  // namespace store

#endif  // STORE_LIBS_CORE_UTF8_H_

// Streamed downloads (CSV exports, PDFs, charts): the chunk size every
// service streams in, and a whole rendered document handed out in chunks.
#ifndef STORE_LIBS_CORE_DOWNLOAD_H_
#define STORE_LIBS_CORE_DOWNLOAD_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace store {

inline constexpr size_t kDownloadChunkBytes = 64 * 1024;

// Takes one chunk; false when the reader has gone.
using DownloadSink = std::function<bool(const std::string& chunk)>;

// `bytes` to the sink in chunks of kDownloadChunkBytes, at least one (an
// empty document is one empty chunk). CANCELLED when the sink refuses one.
absl::Status SendInChunks(absl::string_view bytes, const DownloadSink& sink);

}  // namespace store

#endif  // STORE_LIBS_CORE_DOWNLOAD_H_

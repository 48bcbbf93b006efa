#include "libs/core/download.h"

namespace store {

absl::Status SendInChunks(absl::string_view bytes, const DownloadSink& sink) {
  for (size_t at = 0; at == 0 || at < bytes.size(); at += kDownloadChunkBytes) {
    if (!sink(std::string(bytes.substr(at, kDownloadChunkBytes)))) {
      return absl::CancelledError("the download was cancelled by the client");
    }
  }
  return absl::OkStatus();
}

}  // namespace store

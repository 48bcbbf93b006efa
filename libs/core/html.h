// Text into HTML: the one escaping every HTML the store writes uses (invoice
// documents, mail bodies).
#ifndef STORE_LIBS_CORE_HTML_H_
#define STORE_LIBS_CORE_HTML_H_

#include <string>

#include "absl/strings/string_view.h"

namespace store {

// `text` with & < > " ' replaced by character references, safe in element
// content and in quoted attribute values.
std::string HtmlEscape(absl::string_view text);

}  // namespace store

#endif  // STORE_LIBS_CORE_HTML_H_

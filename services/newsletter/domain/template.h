// Merge-tag templates for mail subjects and bodies (NEW-03).
//
// A tag is `{name}` where name matches [a-z][a-z0-9_]* and sits directly
// between the braces (no spaces). Everything else is literal text, so CSS such
// as `body { color: red }` or `a{color:red}` passes through unchanged. `{{`
// is an escaped brace: it renders as a single `{` (`{{firstname}` renders
// `{firstname}`). Rendering is a single pass: substituted values are never
// scanned for tags again.
#ifndef STORE_SERVICES_NEWSLETTER_DOMAIN_TEMPLATE_H_
#define STORE_SERVICES_NEWSLETTER_DOMAIN_TEMPLATE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "libs/core/html.h"

namespace store::newsletter {

// The largest template CheckTemplate accepts.
inline constexpr size_t kMaxTemplateBytes = 512 * 1024;

// OK when `text` is at most kMaxTemplateBytes, valid UTF-8, and uses only tags
// in `allowed_tags`. Otherwise INVALID_ARGUMENT naming `field` (ErrorInfo
// reason INVALID_FIELD), e.g. "body_html: unknown merge tag {frist_name} at
// line 3, column 7; allowed: {email}, {firstname}". Only the first unknown tag
// is reported. Lines and columns are 1-based; columns count code points.
absl::Status CheckTemplate(absl::string_view field, absl::string_view text,
                           const absl::flat_hash_set<std::string>& allowed_tags);

enum class Escape {
  kNone,  // values are inserted as they are (plain text, subjects)
  kHtml,  // values are HTML-escaped: & < > " '
};

// `text` with every tag replaced by its value; a tag missing from `values`
// renders as the empty string. Only values are escaped, never the template
// text itself (which is the author's HTML).
std::string RenderTemplate(absl::string_view text,
                           const absl::flat_hash_map<std::string, std::string>& values,
                           Escape escape);

// The distinct tag names `text` uses, in order of first use.
std::vector<std::string> TagsIn(absl::string_view text);


}  // namespace store::newsletter

#endif  // STORE_SERVICES_NEWSLETTER_DOMAIN_TEMPLATE_H_

// libFuzzer target for the merge-tag renderer (tools/dev fuzz). The input is
// the template text. Checks, on arbitrary bytes:
//   - CheckTemplate accepts exactly the valid texts when every used tag is
//     allowed, and refuses any text using a tag when none is allowed;
//   - rendering every tag as itself ("{name}") undoes only the `{{` escapes,
//     so values are never re-scanned and nothing else changes;
//   - with Escape::kHtml and every value "<x>", no '<' comes from a value: the
//     output has as many '<' as the template, and "<x>" only if the template
//     has it;
//   - TagsIn gives distinct, well-formed names.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "libs/core/utf8.h"
#include "services/newsletter/domain/template.h"

namespace store::newsletter {
namespace {

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

bool IsTagName(absl::string_view name) {
  if (name.empty() || name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

void Check(absl::string_view text) {
  const std::vector<std::string> tags = TagsIn(text);
  absl::flat_hash_set<std::string> used(tags.begin(), tags.end());
  FUZZ_CHECK(used.size() == tags.size());
  for (const std::string& tag : tags) {
    FUZZ_CHECK(IsTagName(tag));
    FUZZ_CHECK(absl::StrContains(text, absl::StrCat("{", tag, "}")));
  }

  const bool well_formed = text.size() <= kMaxTemplateBytes && IsValidUtf8(text);
  FUZZ_CHECK(CheckTemplate("f", text, used).ok() == well_formed);
  FUZZ_CHECK(CheckTemplate("f", text, {}).ok() == (well_formed && tags.empty()));

  // Every tag rendered as itself: only the `{{` escapes change.
  absl::flat_hash_map<std::string, std::string> values;
  for (const std::string& tag : tags) values[tag] = absl::StrCat("{", tag, "}");
  const std::string unescaped = absl::StrReplaceAll(text, {{"{{", "{"}});
  FUZZ_CHECK(RenderTemplate(text, values, Escape::kNone) == unescaped);

  // No value is rendered: the output is the unescaped text without its tags.
  const std::string bare = RenderTemplate(text, {}, Escape::kNone);
  FUZZ_CHECK(bare.size() <= unescaped.size());
  FUZZ_CHECK(RenderTemplate(text, {}, Escape::kHtml) == bare);

  // Hostile values in HTML mode never bring markup.
  for (const std::string& tag : tags) values[tag] = "<x>";
  const std::string html = RenderTemplate(text, values, Escape::kHtml);
  FUZZ_CHECK(std::count(html.begin(), html.end(), '<') ==
             std::count(text.begin(), text.end(), '<'));
  FUZZ_CHECK(std::count(html.begin(), html.end(), '>') ==
             std::count(text.begin(), text.end(), '>'));
  if (!absl::StrContains(text, "<x>")) FUZZ_CHECK(!absl::StrContains(html, "<x>"));
  // Without escaping each tag brings its "<x>".
  const std::string raw = RenderTemplate(text, values, Escape::kNone);
  if (!tags.empty()) FUZZ_CHECK(absl::StrContains(raw, "<x>"));
}

}  // namespace
}  // namespace store::newsletter

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  store::newsletter::Check(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

#include "services/newsletter/domain/template.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/core/status.h"
#include "libs/core/utf8.h"

namespace store::newsletter {
namespace {

bool IsTagStart(char c) { return c >= 'a' && c <= 'z'; }
bool IsTagChar(char c) { return IsTagStart(c) || (c >= '0' && c <= '9') || c == '_'; }

// When text[open] == '{' starts a tag, the position of its closing '}';
// otherwise npos.
size_t TagEnd(absl::string_view text, size_t open) {
  size_t i = open + 1;
  if (i >= text.size() || !IsTagStart(text[i])) return absl::string_view::npos;
  while (i < text.size() && IsTagChar(text[i])) ++i;
  return i < text.size() && text[i] == '}' ? i : absl::string_view::npos;
}

// The one scanner behind every function here, so they agree on the syntax.
// Calls on_literal(piece) for literal output (with `{{` already reduced to
// `{`) and on_tag(name, offset_of_open_brace) for each tag, in text order.
// on_tag returns false to stop the scan.
template <typename OnLiteral, typename OnTag>
void Scan(absl::string_view text, OnLiteral on_literal, OnTag on_tag) {
  size_t start = 0;  // first byte of the literal run not yet emitted
  size_t i = 0;
  while ((i = text.find('{', i)) != absl::string_view::npos) {
    if (i + 1 < text.size() && text[i + 1] == '{') {
      on_literal(text.substr(start, i + 1 - start));  // up to and including one '{'
      i += 2;
      start = i;
      continue;
    }
    const size_t end = TagEnd(text, i);
    if (end == absl::string_view::npos) {
      ++i;  // a lone '{' is literal
      continue;
    }
    if (i > start) on_literal(text.substr(start, i - start));
    if (!on_tag(text.substr(i + 1, end - i - 1), i)) return;
    i = end + 1;
    start = i;
  }
  if (start < text.size()) on_literal(text.substr(start));
}

// "line 3, column 7" for the byte at `offset` of (valid UTF-8) `text`.
std::string Position(absl::string_view text, size_t offset) {
  const absl::string_view before = text.substr(0, offset);
  const size_t line = 1 + std::count(before.begin(), before.end(), '\n');
  const size_t nl = before.rfind('\n');
  const absl::string_view line_start =
      nl == absl::string_view::npos ? before : before.substr(nl + 1);
  return absl::StrCat("line ", line, ", column ", CodePointCount(line_start) + 1);
}

std::string AllowedList(const absl::flat_hash_set<std::string>& allowed_tags) {
  if (allowed_tags.empty()) return "no merge tags are allowed here";
  std::vector<std::string> names(allowed_tags.begin(), allowed_tags.end());
  std::sort(names.begin(), names.end());
  return absl::StrCat("allowed: ", absl::StrJoin(names, ", ", [](std::string* out, const auto& n) {
                        absl::StrAppend(out, "{", n, "}");
                      }));
}

}  // namespace

absl::Status CheckTemplate(absl::string_view field, absl::string_view text,
                           const absl::flat_hash_set<std::string>& allowed_tags) {
  if (text.size() > kMaxTemplateBytes) {
    return InvalidField(field, absl::StrCat("is larger than 512 KiB (", text.size(), " bytes)"));
  }
  if (const size_t valid = ValidUtf8Prefix(text); valid < text.size()) {
    return InvalidField(field, absl::StrCat("is not valid UTF-8 at ", Position(text, valid)));
  }
  absl::Status status;
  Scan(
      text, [](absl::string_view) {},
      [&](absl::string_view name, size_t offset) {
        if (allowed_tags.contains(name)) return true;
        status = InvalidField(
            field, absl::StrCat("unknown merge tag {", name, "} at ", Position(text, offset), "; ",
                                AllowedList(allowed_tags), " (write {{ for a literal {)"));
        return false;
      });
  return status;
}


std::string RenderTemplate(absl::string_view text,
                           const absl::flat_hash_map<std::string, std::string>& values,
                           Escape escape) {
  std::string out;
  out.reserve(text.size());
  Scan(
      text, [&](absl::string_view piece) { out.append(piece.data(), piece.size()); },
      [&](absl::string_view name, size_t) {
        auto it = values.find(name);
        if (it != values.end()) {
          out += escape == Escape::kHtml ? HtmlEscape(it->second) : it->second;
        }
        return true;
      });
  return out;
}

std::vector<std::string> TagsIn(absl::string_view text) {
  std::vector<std::string> tags;
  absl::flat_hash_set<absl::string_view> seen;
  Scan(
      text, [](absl::string_view) {},
      [&](absl::string_view name, size_t) {
        if (seen.insert(name).second) tags.emplace_back(name);
        return true;
      });
  return tags;
}

}  // namespace store::newsletter

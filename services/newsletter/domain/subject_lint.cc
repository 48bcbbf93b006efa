#include "services/newsletter/domain/subject_lint.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/core/utf8.h"

namespace store::newsletter {
namespace {

// Lower-case; a space matches any run of whitespace.
constexpr absl::string_view kSpamPhrases[] = {
    "free",       "winner", "act now",   "guaranteed", "cash",         "100% free",
    "click here", "urgent", "risk-free", "no cost",    "limited time", "earn money",
};

// Letters, digits, '_' and any byte of a non-ASCII character continue a word.
bool IsWordByte(char c) {
  return absl::ascii_isalnum(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

// The length of the match of `phrase` at lower[pos], or 0.
size_t MatchAt(absl::string_view lower, size_t pos, absl::string_view phrase) {
  size_t i = pos;
  for (char p : phrase) {
    if (p == ' ') {
      if (i >= lower.size() || !absl::ascii_isspace(lower[i])) return 0;
      while (i < lower.size() && absl::ascii_isspace(lower[i])) ++i;
    } else {
      if (i >= lower.size() || lower[i] != p) return 0;
      ++i;
    }
  }
  return i - pos;
}

struct Found {
  size_t begin;
  size_t end;
  absl::string_view phrase;
};

// The spam phrases in `subject`, in order of first appearance, each once.
std::vector<absl::string_view> SpamPhrases(absl::string_view subject) {
  const std::string lower = absl::AsciiStrToLower(subject);
  std::vector<absl::string_view> phrases(std::begin(kSpamPhrases), std::end(kSpamPhrases));
  // Longer phrases first, so "100% free" claims its "free".
  std::stable_sort(phrases.begin(), phrases.end(),
                   [](absl::string_view a, absl::string_view b) { return a.size() > b.size(); });
  std::vector<Found> found;
  for (absl::string_view phrase : phrases) {
    for (size_t pos = 0; pos < lower.size(); ++pos) {
      if (pos > 0 && IsWordByte(lower[pos - 1]) && IsWordByte(phrase.front())) continue;
      const size_t n = MatchAt(lower, pos, phrase);
      if (n == 0) continue;
      const size_t end = pos + n;
      if (end < lower.size() && IsWordByte(lower[end]) && IsWordByte(phrase.back())) continue;
      const bool inside = std::any_of(found.begin(), found.end(), [&](const Found& f) {
        return f.begin <= pos && end <= f.end;
      });
      if (!inside) found.push_back({pos, end, phrase});
    }
  }
  std::sort(found.begin(), found.end(),
            [](const Found& a, const Found& b) { return a.begin < b.begin; });
  std::vector<absl::string_view> out;
  for (const Found& f : found) {
    if (std::find(out.begin(), out.end(), f.phrase) == out.end()) out.push_back(f.phrase);
  }
  return out;
}

// Whether the subject is written in capitals: more than 3 letters and no
// lower-case one. Letters are ASCII and the Latin-1 supplement (U+00C0..
// U+00FF, enough for most European languages); other scripts are ignored.
bool IsAllCaps(absl::string_view subject) {
  int letters = 0;
  for (size_t i = 0; i < subject.size(); ++i) {
    const unsigned char c = subject[i];
    if (absl::ascii_islower(c)) return false;
    if (absl::ascii_isupper(c)) {
      ++letters;
    } else if (c == 0xC3 && i + 1 < subject.size()) {
      const unsigned char next = subject[++i];
      if (next == 0x97 || next == 0xB7) continue;      // U+00D7 ×, U+00F7 ÷
      if (next >= 0x9F && next <= 0xBF) return false;  // ß, à..ÿ
      if (next >= 0x80 && next <= 0x9E) ++letters;     // À..Þ
    }
  }
  return letters > 3;
}

}  // namespace

std::vector<std::string> LintSubject(absl::string_view subject) {
  std::vector<std::string> warnings;
  if (absl::StripAsciiWhitespace(subject).empty()) {
    warnings.push_back("The subject is empty; give readers a reason to open the mail.");
    return warnings;
  }
  if (const size_t length = CodePointCount(subject); length > kSubjectAdvisedLength) {
    warnings.push_back(absl::StrCat("The subject is ", length, " characters long; inboxes cut off ",
                                    "subjects over ", kSubjectAdvisedLength,
                                    " characters, so put the important words first."));
  }
  if (IsAllCaps(subject)) {
    warnings.push_back(
        "The subject is written in capitals; that reads as shouting and spam filters count it "
        "against the mail.");
  }
  for (absl::string_view phrase : SpamPhrases(subject)) {
    warnings.push_back(
        absl::StrCat("The subject contains \"", phrase, "\", which spam filters often flag."));
  }
  const size_t exclamations = std::count(subject.begin(), subject.end(), '!');
  if (exclamations >= 3) {
    warnings.push_back(absl::StrCat("The subject has ", exclamations,
                                    " exclamation marks; one at most is safer."));
  } else if (absl::StrContains(subject, "!!")) {
    warnings.push_back("The subject repeats exclamation marks (\"!!\"); one at most is safer.");
  }
  if (absl::StrContains(subject, "$$$")) {
    warnings.push_back("The subject contains \"$$$\", which spam filters often flag.");
  }
  return warnings;
}

}  // namespace store::newsletter

// Advice on a campaign subject line (NEW-04): warnings, never errors, shown
// to the author before sending.
#ifndef STORE_SERVICES_NEWSLETTER_DOMAIN_SUBJECT_LINT_H_
#define STORE_SERVICES_NEWSLETTER_DOMAIN_SUBJECT_LINT_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace store::newsletter {

// Subjects longer than this (in characters, i.e. code points) get a warning.
inline constexpr size_t kSubjectAdvisedLength = 50;

// Human-readable warnings about `subject`, in this order; empty when there is
// nothing to say:
//   - empty subject (then nothing else);
//   - longer than kSubjectAdvisedLength characters (the length is given);
//   - all capitals (more than 3 letters and none lower-case);
//   - each spam-filter phrase found (case-insensitive, whole words: free,
//     winner, act now, guaranteed, cash, 100% free, click here, urgent,
//     risk-free, no cost, limited time, earn money), named, in the order they
//     appear; a phrase inside a longer one found ("free" in "100% free" or
//     "risk-free") is not repeated;
//   - 3 or more exclamation marks, or "!!";
//   - "$$$".
std::vector<std::string> LintSubject(absl::string_view subject);

}  // namespace store::newsletter

#endif  // STORE_SERVICES_NEWSLETTER_DOMAIN_SUBJECT_LINT_H_

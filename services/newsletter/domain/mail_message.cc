#include "services/newsletter/domain/mail_message.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "libs/core/status.h"
#include "libs/core/utf8.h"

namespace store::newsletter {
namespace {

// Lines are folded to at most this many characters (CRLF excluded) when the
// content allows; RFC 5322 asks for at most 78.
constexpr size_t kFoldAt = 76;
// RFC 5322's hard limit on a line (CRLF excluded).
constexpr size_t kMaxLine = 998;
// An RFC 2047 encoded-word is at most 75 characters: the 12 characters of
// "=?UTF-8?B?" and "?=" leave 63, so 60 characters of base64 (45 bytes).
constexpr absl::string_view kWordPrefix = "=?UTF-8?B?";
constexpr absl::string_view kWordSuffix = "?=";
constexpr size_t kMaxWordBase64 = 60;
// Base64 body lines (RFC 2045).
constexpr size_t kBodyLine = 76;
constexpr size_t kMaxUrl = 900;
constexpr size_t kMaxMessageId = 250;

bool IsWsp(char c) { return c == ' ' || c == '\t'; }
bool IsPrintableAscii(char c) { return c >= 0x20 && c <= 0x7e; }
bool IsVchar(char c) { return c > 0x20 && c <= 0x7e; }

// RFC 5322 atext: what may appear in an atom without quoting.
bool IsAtext(char c) {
  return absl::ascii_isalnum(c) || absl::StrContains("!#$%&'*+-/=?^_`{|}~", c);
}

// Builds one header field, folding (CRLF before whitespace) when a line would
// exceed kFoldAt. Folding never happens before the first atom of a line.
class FieldWriter {
 public:
  explicit FieldWriter(absl::string_view name)
      : text_(absl::StrCat(name, ":")), line_(text_.size()) {}

  // Appends `atom` after the whitespace `space` (may be empty: no fold point).
  void Add(absl::string_view space, absl::string_view atom) {
    if (!space.empty() && atoms_on_line_ > 0 && line_ + space.size() + atom.size() > kFoldAt) {
      Fold();
    }
    absl::StrAppend(&text_, space, atom);
    line_ += space.size() + atom.size();
    longest_ = std::max(longest_, line_);
    ++atoms_on_line_;
  }

  // Starts a continuation line (the next Add supplies its leading whitespace).
  void Fold() {
    text_ += "\r\n";
    line_ = 0;
    atoms_on_line_ = 0;
  }

  // Characters left on the current line before kFoldAt.
  size_t Room() const { return line_ >= kFoldAt ? 0 : kFoldAt - line_; }
  // The longest line so far (CRLF excluded).
  size_t Longest() const { return longest_; }
  std::string Finish() && { return std::move(text_) + "\r\n"; }

 private:
  std::string text_;
  size_t line_;
  size_t atoms_on_line_ = 0;
  size_t longest_ = 0;
};

struct Word {
  absl::string_view space;  // whitespace before the word (a fold point)
  absl::string_view text;
};

// `text` as words with the whitespace before each; trailing whitespace stays
// with the last word (a line must not end in a fold of only whitespace).
std::vector<Word> SplitWords(absl::string_view text) {
  std::vector<Word> words;
  size_t i = 0;
  while (i < text.size()) {
    const size_t space_start = i;
    while (i < text.size() && IsWsp(text[i])) ++i;
    const size_t word_start = i;
    while (i < text.size() && !IsWsp(text[i])) ++i;
    if (word_start == i && !words.empty()) {
      const Word& last = words.back();
      words.back().text = absl::string_view(last.text.data(), text.data() + i - last.text.data());
    } else {
      words.push_back({text.substr(space_start, word_start - space_start),
                       text.substr(word_start, i - word_start)});
    }
  }
  return words;
}

// Appends `text` (valid UTF-8) as RFC 2047 encoded-words, each preceded by a
// space, filling lines up to kFoldAt. Words hold whole characters.
void AddEncodedWords(FieldWriter& writer, absl::string_view text) {
  const size_t overhead = 1 + kWordPrefix.size() + kWordSuffix.size();  // with the space
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t room = writer.Room() > overhead ? writer.Room() - overhead : 0;
    const size_t max_bytes = std::min(room, kMaxWordBase64) / 4 * 3;
    size_t n = 0;
    while (pos + n < text.size()) {
      const size_t len = SequenceLength(text, pos + n);
      if (n + len > max_bytes) break;
      n += len;
    }
    if (n == 0) {
      // Not even one character fits: continue on a new line, which always
      // has room for 45 bytes.
      writer.Fold();
      continue;
    }
    writer.Add(" ",
               absl::StrCat(kWordPrefix, absl::Base64Escape(text.substr(pos, n)), kWordSuffix));
    pos += n;
  }
}

// Whether `text` may be written as it is (after quoting, for a name): all
// printable ASCII and nothing a reader could take for an encoded-word.
bool CanStayPlain(absl::string_view text) {
  return std::all_of(text.begin(), text.end(), IsPrintableAscii) && !absl::StrContains(text, "=?");
}

// Appends `words` (the first after `first_space`) to `writer` when every line
// then stays within kFoldAt, and returns true; otherwise leaves `writer` as it
// was and returns false, so the caller can fall back to encoded-words.
bool TryPlain(FieldWriter& writer, const std::vector<Word>& words, absl::string_view first_space) {
  FieldWriter trial = writer;
  bool first = true;
  for (const Word& w : words) {
    if (first) {
      trial.Add(absl::StrCat(first_space, w.space), w.text);
      first = false;
    } else {
      trial.Add(w.space, w.text);
    }
  }
  if (trial.Longest() > kFoldAt) return false;
  writer = std::move(trial);
  return true;
}

// Unstructured text (Subject): plain when possible, else encoded-words.
void AddUnstructured(FieldWriter& writer, absl::string_view text) {
  if (text.empty()) return;
  if (CanStayPlain(text) && TryPlain(writer, SplitWords(text), " ")) return;
  AddEncodedWords(writer, text);
}

// A display name as a phrase: atoms when it is simple words, a quoted string
// when it has specials, encoded-words when it is not printable ASCII.
void AddDisplayName(FieldWriter& writer, absl::string_view name) {
  if (CanStayPlain(name)) {
    const bool simple_words =
        !name.empty() && name.front() != ' ' && name.back() != ' ' &&
        !absl::StrContains(name, "  ") &&
        std::all_of(name.begin(), name.end(), [](char c) { return c == ' ' || IsAtext(c); });
    std::string quoted;
    if (!simple_words) {
      quoted = "\"";
      for (char c : name) {
        if (c == '"' || c == '\\') quoted += '\\';
        quoted += c;
      }
      quoted += '"';
    }
    // A quoted string may be folded at its spaces too (FWS inside quotes).
    if (TryPlain(writer, SplitWords(simple_words ? name : absl::string_view(quoted)), " ")) {
      return;
    }
  }
  AddEncodedWords(writer, name);
}

absl::Status CheckAddress(absl::string_view field, const MailAddress& address) {
  STORE_RETURN_IF_ERROR(CheckEmailAddress(absl::StrCat(field, ".email"), address.email));
  return CheckHeaderValue(absl::StrCat(field, ".name"), address.name);
}

std::string AddressField(absl::string_view header, const MailAddress& address) {
  FieldWriter writer(header);
  if (address.name.empty()) {
    writer.Add(" ", address.email);
  } else {
    AddDisplayName(writer, address.name);
    writer.Add(" ", absl::StrCat("<", address.email, ">"));
  }
  return std::move(writer).Finish();
}

// RFC 5322 date-time in UTC: "Thu, 01 Jan 2026 00:00:00 +0000". Formatted by
// hand so that no locale can change the day and month names.
absl::StatusOr<std::string> FormatDate(absl::Time date) {
  static constexpr const char* kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (date == absl::InfinitePast() || date == absl::InfiniteFuture()) {
    return InvalidField("date", "must be a finite time");
  }
  const absl::CivilSecond t = absl::ToCivilSecond(date, absl::UTCTimeZone());
  if (t.year() < 1900 || t.year() > 9999) {
    return InvalidField("date", "must be in the years 1900..9999");
  }
  // absl::Weekday numbers Monday as 0.
  const int weekday = static_cast<int>(absl::GetWeekday(absl::CivilDay(t)));
  return absl::StrFormat("%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[weekday], t.day(),
                         kMonths[t.month() - 1], t.year(), t.hour(), t.minute(), t.second());
}

// The id between the angle brackets, checked: dot-atom-text "@" dot-atom-text.
absl::StatusOr<std::string> MessageId(absl::string_view id) {
  STORE_RETURN_IF_ERROR(CheckHeaderValue("message_id", id));
  if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
  if (id.empty()) return InvalidField("message_id", "is required");
  if (id.size() > kMaxMessageId) {
    return InvalidField("message_id",
                        absl::StrCat("is longer than ", kMaxMessageId, " characters"));
  }
  const std::vector<absl::string_view> parts = absl::StrSplit(id, '@');
  const bool ok =
      parts.size() == 2 && !parts[0].empty() && !parts[1].empty() &&
      std::all_of(id.begin(), id.end(), [](char c) { return c == '@' || c == '.' || IsAtext(c); });
  if (!ok) {
    return InvalidField("message_id", absl::StrCat("'", id, "' is not a message id (id@domain)"));
  }
  return std::string(id);
}

absl::Status CheckUnsubscribeUrl(absl::string_view url) {
  constexpr absl::string_view kField = "list_unsubscribe_url";
  STORE_RETURN_IF_ERROR(CheckHeaderValue(kField, url));
  if (url.size() > kMaxUrl) {
    return InvalidField(kField, absl::StrCat("is longer than ", kMaxUrl, " characters"));
  }
  for (char c : url) {
    if (!IsVchar(c) || c == '<' || c == '>' || c == '"') {
      return InvalidField(kField,
                          "must be printable ASCII without spaces, quotes or angle brackets "
                          "(percent-encode the rest)");
    }
  }
  absl::string_view rest = url;
  const bool https = absl::ConsumePrefix(&rest, "https://");
  const bool http = !https && absl::ConsumePrefix(&rest, "http://");
  absl::string_view host = rest.substr(0, rest.find_first_of("/?#"));
  host = host.substr(0, host.rfind(':'));  // drop a port
  if (host.empty() || !(https || http)) {
    return InvalidField(kField, "must be an https:// URL (RFC 8058)");
  }
  if (http && host != "localhost" && host != "127.0.0.1") {
    return InvalidField(kField,
                        "must be an https:// URL (RFC 8058); http:// is only for localhost");
  }
  return absl::OkStatus();
}

// Headers BuildMessage writes itself; extra headers may not repeat them.
bool IsReservedHeader(absl::string_view name) {
  for (absl::string_view reserved :
       {"Date", "From", "To", "Reply-To", "Subject", "Message-ID", "MIME-Version", "Content-Type",
        "Content-Transfer-Encoding", "List-Unsubscribe", "List-Unsubscribe-Post"}) {
    if (absl::EqualsIgnoreCase(name, reserved)) return true;
  }
  return false;
}

absl::StatusOr<std::string> ExtraHeader(size_t index, absl::string_view name,
                                        absl::string_view value) {
  const std::string name_field = absl::StrCat("extra_headers[", index, "].name");
  const std::string value_field = absl::StrCat("extra_headers[", index, "].value");
  if (name.empty()) return InvalidField(name_field, "is required");
  if (name.size() > 76) return InvalidField(name_field, "is longer than 76 characters");
  if (!std::all_of(name.begin(), name.end(), [](char c) { return IsVchar(c) && c != ':'; })) {
    return InvalidField(name_field,
                        "must be printable ASCII without spaces or ':' (e.g. X-Campaign-Id)");
  }
  if (IsReservedHeader(name)) {
    return InvalidField(name_field, absl::StrCat("'", name, "' is set by the mail builder"));
  }
  STORE_RETURN_IF_ERROR(CheckHeaderValue(value_field, value));
  if (!std::all_of(value.begin(), value.end(),
                   [](char c) { return IsPrintableAscii(c) || c == '\t'; })) {
    return InvalidField(value_field, "must be printable ASCII");
  }
  FieldWriter writer(name);
  const std::vector<Word> words = SplitWords(value);
  for (size_t i = 0; i < words.size(); ++i) {
    writer.Add(i == 0 ? absl::StrCat(" ", words[i].space) : std::string(words[i].space),
               words[i].text);
  }
  if (writer.Longest() > kMaxLine) {
    return InvalidField(value_field, "has a word too long for a header line (998 characters)");
  }
  return std::move(writer).Finish();
}

// `body` with every line break as CRLF: the canonical form of text that
// RFC 2046 wants encoded (a lone LF or CR becomes CRLF).
std::string CanonicalLineBreaks(absl::string_view body) {
  std::string out;
  out.reserve(body.size() + body.size() / 32);
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < body.size() && body[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

// `body` in base64, 76 characters and CRLF per line.
std::string Base64Lines(absl::string_view body) {
  const std::string encoded = absl::Base64Escape(body);
  std::string out;
  out.reserve(encoded.size() + encoded.size() / kBodyLine * 2 + 2);
  for (size_t i = 0; i < encoded.size(); i += kBodyLine) {
    absl::StrAppend(&out, absl::string_view(encoded).substr(i, kBodyLine), "\r\n");
  }
  return out;
}

// 64-bit FNV-1a: a stable, seed-free hash (the boundary must be
// deterministic; it needs no secrecy).
uint64_t Fnv1a(absl::string_view text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// A boundary derived from the message id that occurs in none of `texts`.
// "=_" can never occur in base64, so the first candidate always suits the
// encoded parts; the raw bodies are checked too and the suffix varied until
// it fits. Terminates: the candidates after the first are distinct strings of
// one length, and the texts hold only finitely many of those.
std::string Boundary(absl::string_view message_id, std::initializer_list<absl::string_view> texts) {
  const std::string base = absl::StrFormat("=_nl_%016x", Fnv1a(message_id));
  for (uint32_t k = 0;; ++k) {
    std::string candidate = k == 0 ? base : absl::StrFormat("%s_%08x", base, k);
    if (std::none_of(texts.begin(), texts.end(),
                     [&](absl::string_view t) { return absl::StrContains(t, candidate); })) {
      return candidate;
    }
  }
}

std::string ContentType(absl::string_view subtype) {
  return absl::StrCat("Content-Type: text/", subtype,
                      "; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n");
}

}  // namespace

absl::Status CheckHeaderValue(absl::string_view field, absl::string_view value) {
  for (unsigned char c : value) {
    if (c == '\r' || c == '\n') {
      return InvalidField(field, "must not contain line breaks (CR or LF)");
    }
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      return InvalidField(field, "must not contain control characters");
    }
  }
  if (!IsValidUtf8(value)) return InvalidField(field, "is not valid UTF-8");
  return absl::OkStatus();
}

absl::Status CheckEmailAddress(absl::string_view field, absl::string_view email) {
  if (email.empty()) return InvalidField(field, "is required");
  STORE_RETURN_IF_ERROR(CheckHeaderValue(field, email));
  if (email.size() > 254) return InvalidField(field, "is longer than 254 characters");
  const auto bad = [&](absl::string_view why) {
    return InvalidField(field, absl::StrCat("'", email, "' is not a plain email address (", why,
                                            "; e.g. name@example.com)"));
  };
  for (char c : email) {
    if (!IsVchar(c)) return bad("no spaces or non-ASCII characters");
    if (absl::StrContains("()<>[]:;,\\\"", c))
      return bad(absl::StrCat("no '", std::string(1, c), "'"));
  }
  const size_t at = email.find('@');
  if (at == absl::string_view::npos || email.find('@', at + 1) != absl::string_view::npos) {
    return bad("exactly one '@'");
  }
  const absl::string_view local = email.substr(0, at);
  const absl::string_view domain = email.substr(at + 1);
  if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      absl::StrContains(local, "..")) {
    return bad("the part before '@' must be 1..64 characters, dots only between others");
  }
  if (!absl::EqualsIgnoreCase(domain, "localhost") && !absl::StrContains(domain, '.')) {
    return bad("the domain needs a dot");
  }
  for (absl::string_view label : absl::StrSplit(domain, '.')) {
    const bool ok = !label.empty() && label.size() <= 63 && label.front() != '-' &&
                    label.back() != '-' && std::all_of(label.begin(), label.end(), [](char c) {
                      return absl::ascii_isalnum(c) || c == '-';
                    });
    if (!ok) return bad("the domain must be letters, digits and hyphens between dots");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> BuildMessage(const OutgoingMail& mail) {
  // Validate everything first, in the documented order.
  STORE_RETURN_IF_ERROR(CheckAddress("from", mail.from));
  STORE_RETURN_IF_ERROR(CheckAddress("to", mail.to));
  const bool has_reply_to = !mail.reply_to.email.empty();
  if (has_reply_to) {
    STORE_RETURN_IF_ERROR(CheckAddress("reply_to", mail.reply_to));
  } else if (!mail.reply_to.name.empty()) {
    return InvalidField("reply_to.email", "is required when reply_to.name is set");
  }
  STORE_RETURN_IF_ERROR(CheckHeaderValue("subject", mail.subject));
  if (mail.text_body.empty() && mail.html_body.empty()) {
    return InvalidField("text_body", "a text or an HTML body is required");
  }
  if (!IsValidUtf8(mail.text_body)) return InvalidField("text_body", "is not valid UTF-8");
  if (!IsValidUtf8(mail.html_body)) return InvalidField("html_body", "is not valid UTF-8");
  if (!mail.list_unsubscribe_url.empty()) {
    STORE_RETURN_IF_ERROR(CheckUnsubscribeUrl(mail.list_unsubscribe_url));
  }
  STORE_ASSIGN_OR_RETURN(const std::string message_id, MessageId(mail.message_id));
  STORE_ASSIGN_OR_RETURN(const std::string date, FormatDate(mail.date));
  std::string extra;
  for (size_t i = 0; i < mail.extra_headers.size(); ++i) {
    STORE_ASSIGN_OR_RETURN(const std::string header, ExtraHeader(i, mail.extra_headers[i].first,
                                                                 mail.extra_headers[i].second));
    extra += header;
  }

  std::string out = absl::StrCat("Date: ", date, "\r\n");
  out += AddressField("From", mail.from);
  out += AddressField("To", mail.to);
  if (has_reply_to) out += AddressField("Reply-To", mail.reply_to);
  FieldWriter subject("Subject");
  AddUnstructured(subject, mail.subject);
  out += std::move(subject).Finish();
  absl::StrAppend(&out, "Message-ID: <", message_id, ">\r\n", "MIME-Version: 1.0\r\n");
  if (!mail.list_unsubscribe_url.empty()) {
    absl::StrAppend(&out, "List-Unsubscribe: <", mail.list_unsubscribe_url, ">\r\n",
                    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
  }
  out += extra;

  const std::string text_body = CanonicalLineBreaks(mail.text_body);
  const std::string html_body = CanonicalLineBreaks(mail.html_body);
  if (html_body.empty() || text_body.empty()) {
    const bool html = !html_body.empty();
    absl::StrAppend(&out, ContentType(html ? "html" : "plain"), "\r\n",
                    Base64Lines(html ? html_body : text_body));
    return out;
  }
  const std::string text = Base64Lines(text_body);
  const std::string html = Base64Lines(html_body);
  const std::string boundary = Boundary(message_id, {text, html, text_body, html_body});
  absl::StrAppend(&out, "Content-Type: multipart/alternative; boundary=\"", boundary, "\"\r\n",
                  "\r\n");
  absl::StrAppend(&out, "--", boundary, "\r\n", ContentType("plain"), "\r\n", text);
  absl::StrAppend(&out, "--", boundary, "\r\n", ContentType("html"), "\r\n", html);
  absl::StrAppend(&out, "--", boundary, "--\r\n");
  return out;
}

}  // namespace store::newsletter

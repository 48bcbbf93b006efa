#include "services/newsletter/domain/mail_message.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/core/status.h"

namespace store::newsletter {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// ---- a small reader for what BuildMessage writes ----

struct Parsed {
  std::vector<std::pair<std::string, std::string>> headers;  // unfolded, raw values
  std::string body;

  int Count(absl::string_view name) const {
    int n = 0;
    for (const auto& [k, v] : headers) n += absl::EqualsIgnoreCase(k, name);
    return n;
  }
  std::string Get(absl::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (absl::EqualsIgnoreCase(k, name)) return v;
    }
    return "";
  }
};

Parsed Parse(absl::string_view message) {
  Parsed p;
  const size_t end = message.find("\r\n\r\n");
  EXPECT_NE(end, absl::string_view::npos) << "no blank line after the headers";
  if (end == absl::string_view::npos) return p;
  p.body = std::string(message.substr(end + 4));
  for (absl::string_view line : absl::StrSplit(message.substr(0, end), "\r\n")) {
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      EXPECT_FALSE(p.headers.empty()) << "continuation line first";
      if (!p.headers.empty()) absl::StrAppend(&p.headers.back().second, line);  // unfold
      continue;
    }
    const size_t colon = line.find(':');
    EXPECT_NE(colon, absl::string_view::npos) << line;
    if (colon == absl::string_view::npos) continue;
    std::string value(line.substr(colon + 1));
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    p.headers.emplace_back(std::string(line.substr(0, colon)), value);
  }
  return p;
}

// Decodes RFC 2047 "B" words of UTF-8; whitespace between two encoded-words
// is dropped, as the RFC says.
std::string DecodeWords(absl::string_view value) {
  constexpr absl::string_view kStart = "=?UTF-8?B?";
  std::string out;
  bool after_word = false;
  while (true) {
    const size_t start = value.find(kStart);
    const absl::string_view before = value.substr(0, start);
    if (!(after_word && start != absl::string_view::npos &&
          absl::StripAsciiWhitespace(before).empty())) {
      absl::StrAppend(&out, before);
    }
    if (start == absl::string_view::npos) break;
    const size_t end = value.find("?=", start + kStart.size());
    EXPECT_NE(end, absl::string_view::npos);
    EXPECT_LE(end + 2 - start, 75u) << "encoded-word longer than 75 characters";
    std::string decoded;
    EXPECT_TRUE(absl::Base64Unescape(
        value.substr(start + kStart.size(), end - start - kStart.size()), &decoded));
    out += decoded;
    value.remove_prefix(end + 2);
    after_word = true;
  }
  return out;
}

std::string DecodeBase64Lines(absl::string_view body) {
  for (absl::string_view line : absl::StrSplit(body, "\r\n")) {
    EXPECT_LE(line.size(), 76u);
  }
  std::string decoded;
  EXPECT_TRUE(absl::Base64Unescape(absl::StrReplaceAll(body, {{"\r\n", ""}}), &decoded));
  return decoded;
}

// CRLF everywhere, no bare CR or LF; every header line within `max_header`.
void ExpectWellFormed(absl::string_view message, size_t max_header = 76) {
  for (size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\r') {
      ASSERT_TRUE(i + 1 < message.size() && message[i + 1] == '\n') << "bare CR at " << i;
    } else if (message[i] == '\n') {
      ASSERT_TRUE(i > 0 && message[i - 1] == '\r') << "bare LF at " << i;
    }
  }
  ASSERT_TRUE(absl::EndsWith(message, "\r\n"));
  const absl::string_view headers = message.substr(0, message.find("\r\n\r\n"));
  for (absl::string_view line : absl::StrSplit(headers, "\r\n")) {
    EXPECT_LE(line.size(), max_header) << line;
    EXPECT_FALSE(absl::StripAsciiWhitespace(line).empty()) << "whitespace-only header line";
  }
}

std::string FieldOf(const absl::Status& status) {
  auto info = GetErrorInfo(status);
  return info.has_value() ? info->field() : "";
}

const absl::Time kDate = absl::FromUnixSeconds(1767225600);  // 2026-01-01 00:00:00 UTC

OutgoingMail SampleMail() {
  OutgoingMail m;
  m.from = {"news@shop.example.com", "Demo Store"};
  m.to = {"ann@example.com", "Ann Lee"};
  m.subject = "Our spring sale";
  m.text_body = "Hello Ann,\r\nthe sale starts today.\r\n";
  m.message_id = "0190b8a3-7c4f@shop.example.com";
  m.date = kDate;
  return m;
}

std::string Build(const OutgoingMail& m) {
  absl::StatusOr<std::string> message = BuildMessage(m);
  EXPECT_TRUE(message.ok()) << message.status();
  return message.ok() ? *message : "";
}

// ---- the whole message ----

TEST(BuildMessageTest, PlainTextMailExactly) {
  OutgoingMail m = SampleMail();
  m.text_body = "Hi!";
  EXPECT_EQ(Build(m),
            "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
            "From: Demo Store <news@shop.example.com>\r\n"
            "To: Ann Lee <ann@example.com>\r\n"
            "Subject: Our spring sale\r\n"
            "Message-ID: <0190b8a3-7c4f@shop.example.com>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            "\r\n"
            "SGkh\r\n");
}

TEST(BuildMessageTest, HeadersInOrderWithReplyToAndUnsubscribe) {
  OutgoingMail m = SampleMail();
  m.reply_to = {"help@shop.example.com", "Help"};
  m.list_unsubscribe_url = "https://shop.example.com/u?t=abc.def";
  m.extra_headers = {{"X-Campaign-Id", "c-42"}, {"Feedback-ID", "c-42:newsletter:shop"}};
  const std::string message = Build(m);
  ExpectWellFormed(message);
  const Parsed p = Parse(message);
  std::vector<std::string> names;
  for (const auto& [k, v] : p.headers) names.push_back(k);
  EXPECT_THAT(names, ::testing::ElementsAre("Date", "From", "To", "Reply-To", "Subject",
                                            "Message-ID", "MIME-Version", "List-Unsubscribe",
                                            "List-Unsubscribe-Post", "X-Campaign-Id", "Feedback-ID",
                                            "Content-Type", "Content-Transfer-Encoding"));
  EXPECT_EQ(p.Get("Reply-To"), "Help <help@shop.example.com>");
  EXPECT_EQ(p.Get("List-Unsubscribe"), "<https://shop.example.com/u?t=abc.def>");
  EXPECT_EQ(p.Get("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
  EXPECT_EQ(p.Get("X-Campaign-Id"), "c-42");
  EXPECT_EQ(DecodeBase64Lines(p.body), m.text_body);
}

TEST(BuildMessageTest, NoReplyToOrUnsubscribeWhenUnset) {
  const Parsed p = Parse(Build(SampleMail()));
  EXPECT_EQ(p.Count("Reply-To"), 0);
  EXPECT_EQ(p.Count("List-Unsubscribe"), 0);
  EXPECT_EQ(p.Count("List-Unsubscribe-Post"), 0);
}

TEST(BuildMessageTest, DateIsRfc5322InUtc) {
  OutgoingMail m = SampleMail();
  m.date = absl::FromCivil(absl::CivilSecond(2024, 2, 29, 13, 5, 9), absl::UTCTimeZone());
  EXPECT_EQ(Parse(Build(m)).Get("Date"), "Thu, 29 Feb 2024 13:05:09 +0000");
  // Another zone's local time is converted to UTC.
  m.date = absl::FromCivil(absl::CivilSecond(2025, 12, 7, 1, 30, 0), absl::FixedTimeZone(3 * 3600));
  EXPECT_EQ(Parse(Build(m)).Get("Date"), "Sat, 06 Dec 2025 22:30:00 +0000");
  m.date = absl::InfiniteFuture();
  EXPECT_EQ(FieldOf(BuildMessage(m).status()), "date");
}

TEST(BuildMessageTest, MessageIdWithOrWithoutBrackets) {
  OutgoingMail m = SampleMail();
  m.message_id = "<a.b@c.d>";
  EXPECT_EQ(Parse(Build(m)).Get("Message-ID"), "<a.b@c.d>");
  m.message_id = "a.b@c.d";
  EXPECT_EQ(Parse(Build(m)).Get("Message-ID"), "<a.b@c.d>");
  for (const char* bad :
       {"", "<>", "no-at", "a@b@c", "a b@c", "@c", "a@", "<a@b", "a@b>", "a@[1.2.3.4]"}) {
    m.message_id = bad;
    absl::Status s = BuildMessage(m).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(FieldOf(s), "message_id") << bad;
  }
}

// ---- subject ----

TEST(BuildMessageTest, NonAsciiSubjectIsEncodedAndRoundTrips) {
  OutgoingMail m = SampleMail();
  m.subject = "Grüße aus Köln – 20 % Rabatt 🎉";
  const std::string message = Build(m);
  ExpectWellFormed(message);
  const std::string raw = Parse(message).Get("Subject");
  EXPECT_THAT(raw, StartsWith("=?UTF-8?B?"));
  EXPECT_EQ(DecodeWords(raw), m.subject);
}

TEST(BuildMessageTest, LongAsciiSubjectIsFoldedAtSpaces) {
  OutgoingMail m = SampleMail();
  m.subject =
      "This is a rather long subject line that goes on and on, well past the seventy-eight "
      "characters a header line should have, so it must be folded at some spaces";
  const std::string message = Build(m);
  ExpectWellFormed(message);
  EXPECT_THAT(message, HasSubstr("\r\n "));
  const std::string raw = Parse(message).Get("Subject");
  EXPECT_EQ(raw, m.subject);  // unfolding gives back the exact text
  EXPECT_FALSE(absl::StrContains(raw, "=?"));
}

TEST(BuildMessageTest, LongNonAsciiSubjectIsSplitIntoShortWordsOnShortLines) {
  OutgoingMail m = SampleMail();
  for (int i = 0; i < 12; ++i) m.subject += "Ünïcödé Übung 🎉 ";
  m.subject += "Ende";
  const std::string message = Build(m);
  ExpectWellFormed(message);
  const std::string raw = Parse(message).Get("Subject");
  EXPECT_GT(std::count(message.begin(), message.end(), '\n'), 10);
  EXPECT_EQ(DecodeWords(raw), m.subject);  // DecodeWords checks each word <= 75
}

TEST(BuildMessageTest, UnfoldableAsciiSubjectIsEncodedInstead) {
  OutgoingMail m = SampleMail();
  m.subject = "Link: https://shop.example.com/" + std::string(120, 'a');
  const std::string message = Build(m);
  ExpectWellFormed(message);
  EXPECT_EQ(DecodeWords(Parse(message).Get("Subject")), m.subject);
}

TEST(BuildMessageTest, SubjectThatLooksEncodedIsEncoded) {
  OutgoingMail m = SampleMail();
  m.subject = "=?UTF-8?B?SGkh?=";
  const std::string raw = Parse(Build(m)).Get("Subject");
  EXPECT_NE(raw, m.subject);
  EXPECT_EQ(DecodeWords(raw), m.subject);
}

TEST(BuildMessageTest, SubjectWithTabAndSpacesRoundTrips) {
  OutgoingMail m = SampleMail();
  m.subject = "a\tb  c ";
  EXPECT_EQ(DecodeWords(Parse(Build(m)).Get("Subject")), m.subject);
  m.subject = "";
  const std::string message = Build(m);
  EXPECT_THAT(message, HasSubstr("\r\nSubject:\r\n"));
}

// ---- display names ----

TEST(BuildMessageTest, DisplayNames) {
  struct Case {
    std::string name;
    std::string header;  // expected raw To value
  };
  const std::vector<Case> cases = {
      {"", "ann@example.com"},
      {"Ann Lee", "Ann Lee <ann@example.com>"},
      {"O'Neil", "O'Neil <ann@example.com>"},
      {"Lee, Ann", "\"Lee, Ann\" <ann@example.com>"},
      {"Ann \"The Boss\" Lee", "\"Ann \\\"The Boss\\\" Lee\" <ann@example.com>"},
      {"back\\slash", "\"back\\\\slash\" <ann@example.com>"},
      {"A. Lee", "\"A. Lee\" <ann@example.com>"},
      {"ann@example.com", "\"ann@example.com\" <ann@example.com>"},
      {" spaced  out ", "\" spaced  out \" <ann@example.com>"},
  };
  for (const Case& c : cases) {
    OutgoingMail m = SampleMail();
    m.to.name = c.name;
    const std::string message = Build(m);
    ExpectWellFormed(message);
    EXPECT_EQ(Parse(message).Get("To"), c.header) << c.name;
  }
}

TEST(BuildMessageTest, NonAsciiDisplayNameIsEncoded) {
  OutgoingMail m = SampleMail();
  m.from.name = "Jürgen \"Boss\" Müller";
  const std::string raw = Parse(Build(m)).Get("From");
  EXPECT_THAT(raw, StartsWith("=?UTF-8?B?"));
  EXPECT_THAT(raw, ::testing::EndsWith(" <news@shop.example.com>"));
  EXPECT_EQ(DecodeWords(raw.substr(0, raw.rfind(" <"))), m.from.name);
}

TEST(BuildMessageTest, LongDisplayNamesAreFolded) {
  OutgoingMail m = SampleMail();
  m.to.name = "Anna Maria Magdalena Theresia Lee-Smith of the Very Long Family Name Company Ltd";
  std::string message = Build(m);
  ExpectWellFormed(message);
  EXPECT_EQ(Parse(message).Get("To"), m.to.name + " <ann@example.com>");
  m.to.name = "Ánna Mária Magdaléna Terézia Lee-Smith of the Véry Long Family Name Company Ltd";
  message = Build(m);
  ExpectWellFormed(message);
  const std::string raw = Parse(message).Get("To");
  EXPECT_EQ(DecodeWords(raw.substr(0, raw.rfind(" <"))), m.to.name);
}

// ---- bodies ----

TEST(BuildMessageTest, HtmlOnly) {
  OutgoingMail m = SampleMail();
  m.text_body.clear();
  m.html_body = "<p>Grüße</p>";
  const Parsed p = Parse(Build(m));
  EXPECT_EQ(p.Get("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(p.Get("Content-Transfer-Encoding"), "base64");
  EXPECT_EQ(DecodeBase64Lines(p.body), m.html_body);
}

TEST(BuildMessageTest, LongBodyInBase64LinesOf76) {
  OutgoingMail m = SampleMail();
  m.text_body.clear();
  std::string canonical;
  for (int i = 0; i < 500; ++i) {
    absl::StrAppend(&m.text_body, "Zeile ", i, " — äöü\r\n");
    absl::StrAppend(&canonical, "Zeile ", i, " — äöü\r\n");
  }
  const std::string message = Build(m);
  ExpectWellFormed(message);
  const Parsed p = Parse(message);
  const std::vector<absl::string_view> lines = absl::StrSplit(p.body, "\r\n");
  ASSERT_GT(lines.size(), 3u);
  EXPECT_EQ(lines[0].size(), 76u);
  EXPECT_EQ(DecodeBase64Lines(p.body), canonical);
}

struct Part {
  std::string headers;
  std::string body;
};

// The parts of a multipart body with boundary `boundary`; checks the closing
// delimiter.
std::vector<Part> SplitParts(const std::string& body, const std::string& boundary) {
  std::vector<Part> parts;
  const std::string delimiter = "--" + boundary;
  EXPECT_TRUE(absl::StartsWith(body, delimiter + "\r\n"));
  EXPECT_TRUE(absl::EndsWith(body, "\r\n" + delimiter + "--\r\n"));
  std::vector<std::string> chunks = absl::StrSplit(body, delimiter);
  // "", part, part, "--\r\n"
  EXPECT_EQ(chunks.front(), "");
  EXPECT_EQ(chunks.back(), "--\r\n");
  for (size_t i = 1; i + 1 < chunks.size(); ++i) {
    std::string chunk = chunks[i];
    EXPECT_TRUE(absl::StartsWith(chunk, "\r\n"));
    chunk.erase(0, 2);
    const size_t blank = chunk.find("\r\n\r\n");
    EXPECT_NE(blank, std::string::npos);
    parts.push_back({chunk.substr(0, blank + 2), chunk.substr(blank + 4)});
  }
  return parts;
}

std::string BoundaryOf(const std::string& content_type) {
  const std::string prefix = "multipart/alternative; boundary=\"";
  EXPECT_THAT(content_type, StartsWith(prefix));
  EXPECT_TRUE(absl::EndsWith(content_type, "\""));
  return content_type.substr(prefix.size(), content_type.size() - prefix.size() - 1);
}

TEST(BuildMessageTest, BothBodiesMakeMultipartAlternative) {
  OutgoingMail m = SampleMail();
  m.text_body = "Grüße\r\n--not a boundary\r\n";
  m.html_body = "<p>Grüße</p>";
  const std::string message = Build(m);
  ExpectWellFormed(message);
  const Parsed p = Parse(message);
  EXPECT_EQ(p.Get("MIME-Version"), "1.0");
  EXPECT_EQ(p.Count("Content-Transfer-Encoding"), 0);
  const std::string boundary = BoundaryOf(p.Get("Content-Type"));
  EXPECT_FALSE(boundary.empty());
  EXPECT_LE(boundary.size(), 70u);  // RFC 2046
  const std::vector<Part> parts = SplitParts(p.body, boundary);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].headers,
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n");
  EXPECT_EQ(parts[1].headers,
            "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n");
  EXPECT_EQ(DecodeBase64Lines(parts[0].body.substr(0, parts[0].body.size() - 2)), m.text_body);
  EXPECT_EQ(DecodeBase64Lines(parts[1].body.substr(0, parts[1].body.size() - 2)), m.html_body);
}

TEST(BuildMessageTest, BodyLineBreaksBecomeCrlf) {
  OutgoingMail m = SampleMail();
  m.text_body = "a\nb\rc\r\nd\n\ne\r";
  m.html_body = "<p>\n</p>";
  const Parsed p = Parse(Build(m));
  const std::vector<Part> parts = SplitParts(p.body, BoundaryOf(p.Get("Content-Type")));
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(DecodeBase64Lines(parts[0].body.substr(0, parts[0].body.size() - 2)),
            "a\r\nb\r\nc\r\nd\r\n\r\ne\r\n");
  EXPECT_EQ(DecodeBase64Lines(parts[1].body.substr(0, parts[1].body.size() - 2)), "<p>\r\n</p>");
}

TEST(BuildMessageTest, BoundaryIsDeterministicPerMessageId) {
  OutgoingMail m = SampleMail();
  m.html_body = "<p>Hi</p>";
  const std::string a = BoundaryOf(Parse(Build(m)).Get("Content-Type"));
  EXPECT_EQ(BoundaryOf(Parse(Build(m)).Get("Content-Type")), a);
  m.message_id = "other@shop.example.com";
  EXPECT_NE(BoundaryOf(Parse(Build(m)).Get("Content-Type")), a);
}

TEST(BuildMessageTest, BoundaryFoundInABodyIsVaried) {
  OutgoingMail m = SampleMail();
  m.html_body = "<p>Hi</p>";
  const std::string first = BoundaryOf(Parse(Build(m)).Get("Content-Type"));
  m.text_body = absl::StrCat("quoting an old mail:\r\n--", first, "\r\n", first, "_00000001");
  m.html_body = absl::StrCat("<p>", first, "_00000002</p>");
  const std::string message = Build(m);
  const Parsed p = Parse(message);
  const std::string boundary = BoundaryOf(p.Get("Content-Type"));
  EXPECT_NE(boundary, first);
  EXPECT_FALSE(absl::StrContains(m.text_body, boundary));
  EXPECT_FALSE(absl::StrContains(m.html_body, boundary));
  const std::vector<Part> parts = SplitParts(p.body, boundary);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(DecodeBase64Lines(parts[0].body.substr(0, parts[0].body.size() - 2)), m.text_body);
  EXPECT_EQ(DecodeBase64Lines(parts[1].body.substr(0, parts[1].body.size() - 2)), m.html_body);
}

TEST(BuildMessageTest, BodiesAreRequiredAndUtf8) {
  OutgoingMail m = SampleMail();
  m.text_body.clear();
  EXPECT_EQ(FieldOf(BuildMessage(m).status()), "text_body");
  m.text_body = "ok\xff";
  EXPECT_EQ(FieldOf(BuildMessage(m).status()), "text_body");
  m.text_body = "ok";
  m.html_body = "\xc3";
  EXPECT_EQ(FieldOf(BuildMessage(m).status()), "html_body");
}

// ---- header injection (SEC-4) ----

TEST(BuildMessageTest, LineBreaksAndControlsInEveryHeaderFieldAreRejected) {
  using Setter = void (*)(OutgoingMail&, const std::string&);
  const std::vector<std::pair<std::string, Setter>> fields = {
      {"from.email", [](OutgoingMail& m, const std::string& v) { m.from.email = v; }},
      {"from.name", [](OutgoingMail& m, const std::string& v) { m.from.name = v; }},
      {"to.email", [](OutgoingMail& m, const std::string& v) { m.to.email = v; }},
      {"to.name", [](OutgoingMail& m, const std::string& v) { m.to.name = v; }},
      {"reply_to.email", [](OutgoingMail& m, const std::string& v) { m.reply_to.email = v; }},
      {"reply_to.name",
       [](OutgoingMail& m, const std::string& v) {
         m.reply_to = {"help@example.com", v};
       }},
      {"subject", [](OutgoingMail& m, const std::string& v) { m.subject = v; }},
      {"list_unsubscribe_url",
       [](OutgoingMail& m, const std::string& v) { m.list_unsubscribe_url = v; }},
      {"message_id", [](OutgoingMail& m, const std::string& v) { m.message_id = v; }},
      {"extra_headers[0].name",
       [](OutgoingMail& m, const std::string& v) {
         m.extra_headers = {{v, "x"}};
       }},
      {"extra_headers[1].value",
       [](OutgoingMail& m, const std::string& v) {
         m.extra_headers = {{"X-A", "a"}, {"X-B", v}};
       }},
  };
  const std::vector<std::string> payloads = {"x@example.com\r\nBcc: evil@example.com",
                                             "x@example.com\nBcc: evil@example.com",
                                             "x@example.com\rBcc: evil@example.com",
                                             std::string("x@example.com\0y", 15),
                                             "x@example.com\x1b",
                                             "x@example.com\x7f",
                                             "\r\n",
                                             "\n"};
  for (const auto& [field, set] : fields) {
    for (const std::string& payload : payloads) {
      OutgoingMail m = SampleMail();
      set(m, payload);
      absl::StatusOr<std::string> message = BuildMessage(m);
      ASSERT_FALSE(message.ok()) << field << " accepted " << absl::CEscape(payload);
      EXPECT_EQ(message.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(FieldOf(message.status()), field) << absl::CEscape(payload);
      EXPECT_THAT(std::string(message.status().message()), StartsWith(field + ": "));
    }
  }
}

TEST(CheckHeaderValueTest, AllowsTabAndUnicodeRejectsControls) {
  EXPECT_TRUE(CheckHeaderValue("subject", "a\tb Grüße 🎉").ok());
  EXPECT_TRUE(CheckHeaderValue("subject", "").ok());
  for (const std::string& bad :
       {std::string("a\rb"), std::string("a\nb"), std::string("a\0b", 3), std::string("\x01"),
        std::string("\x1f"), std::string("\x7f"), std::string("\xff"), std::string("\xc3(")}) {
    absl::Status s = CheckHeaderValue("subject", bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << absl::CEscape(bad);
    EXPECT_EQ(FieldOf(s), "subject");
  }
  EXPECT_THAT(CheckHeaderValue("to.name", "a\r\nb").message(),
              HasSubstr("to.name: must not contain line breaks"));
}

TEST(CheckEmailAddressTest, AcceptsPlainAddresses) {
  for (const char* ok : {"ann@example.com", "a.b+tag@sub.example.co.uk", "root@localhost",
                         "x@LOCALHOST", "o'neil_1-2@ex-ample.com", "ANN@EXAMPLE.COM", "a@b.c"}) {
    EXPECT_TRUE(CheckEmailAddress("to.email", ok).ok()) << ok;
  }
  // 254 characters: 64 + 1 + 189.
  const std::string longest = std::string(64, 'a') + "@" + std::string(60, 'b') + "." +
                              std::string(60, 'c') + "." + std::string(63, 'd') + ".com";
  ASSERT_EQ(longest.size(), 254u);
  EXPECT_TRUE(CheckEmailAddress("e", longest).ok());
}

TEST(CheckEmailAddressTest, RejectsEverythingElse) {
  for (const std::string& bad :
       std::vector<std::string>{"",
                                "ann",
                                "ann@",
                                "@example.com",
                                "a@b@example.com",
                                "ann@example",
                                "ann lee@example.com",
                                "<ann@example.com>",
                                "Ann <ann@example.com>",
                                "ann@example.com,bob@example.com",
                                "ann@example.com;bob@example.com",
                                "ann@exa_mple.com",
                                ".ann@example.com",
                                "ann.@example.com",
                                "ann..lee@example.com",
                                "ann@-example.com",
                                "ann@example-.com",
                                "ann@example..com",
                                "ann@example.com.",
                                "ann@.example.com",
                                "jürgen@example.com",
                                "ann@exämple.com",
                                "\"ann\"@example.com",
                                "ann@[127.0.0.1]",
                                "(c)ann@example.com",
                                "a\\b@example.com",
                                "ann:x@example.com",
                                "ann@example.com\t",
                                std::string(65, 'a') + "@example.com",
                                "a@" + std::string(64, 'b') + ".com",
                                std::string(64, 'a') + "@" + std::string(61, 'b') + "." +
                                    std::string(60, 'c') + "." + std::string(63, 'd') + ".com"}) {
    absl::Status s = CheckEmailAddress("to.email", bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(FieldOf(s), "to.email") << bad;
  }
}

TEST(BuildMessageTest, ReplyToNameNeedsAnEmail) {
  OutgoingMail m = SampleMail();
  m.reply_to.name = "Help";
  EXPECT_EQ(FieldOf(BuildMessage(m).status()), "reply_to.email");
}

TEST(BuildMessageTest, UnsubscribeUrlMustBeHttps) {
  OutgoingMail m = SampleMail();
  for (const char* ok : {"https://shop.example.com/u/abc", "https://shop.example.com:8443/u?t=a,b",
                         "http://localhost:8080/u/abc", "http://127.0.0.1/u"}) {
    m.list_unsubscribe_url = ok;
    EXPECT_TRUE(BuildMessage(m).ok()) << ok;
  }
  for (const std::string& bad : std::vector<std::string>{
           "http://shop.example.com/u", "javascript:alert(1)", "mailto:u@example.com", "https://",
           "https:///path", "https://shop.example.com/a b", "https://shop.example.com/>x",
           "https://shop.example.com/\"", "https://shop.example.com/ü", "//shop.example.com",
           "https://shop.example.com/" + std::string(900, 'a')}) {
    m.list_unsubscribe_url = bad;
    EXPECT_EQ(FieldOf(BuildMessage(m).status()), "list_unsubscribe_url") << bad;
  }
}

TEST(BuildMessageTest, ExtraHeaders) {
  OutgoingMail m = SampleMail();
  const std::string long_value =
      "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen";
  m.extra_headers = {{"X-Long", long_value}, {"X-Empty", ""}};
  const std::string message = Build(m);
  ExpectWellFormed(message);
  const Parsed p = Parse(message);
  EXPECT_EQ(p.Get("X-Long"), long_value);
  EXPECT_EQ(p.Count("X-Empty"), 1);

  struct Bad {
    std::string name;
    std::string value;
    std::string field;
  };
  for (const Bad& bad : std::vector<Bad>{
           {"", "x", "extra_headers[0].name"},
           {"X A", "x", "extra_headers[0].name"},
           {"X:A", "x", "extra_headers[0].name"},
           {"X-Ü", "x", "extra_headers[0].name"},
           {"Subject", "x", "extra_headers[0].name"},
           {"content-type", "x", "extra_headers[0].name"},
           {"List-Unsubscribe", "x", "extra_headers[0].name"},
           {"X-A", "Grüße", "extra_headers[0].value"},
           {"X-A", std::string(1000, 'a'), "extra_headers[0].value"},
       }) {
    m.extra_headers = {{bad.name, bad.value}};
    EXPECT_EQ(FieldOf(BuildMessage(m).status()), bad.field) << bad.name << ": " << bad.value;
  }
}

TEST(BuildMessageTest, AddressesAreValidated) {
  OutgoingMail m = SampleMail();
  m.to.email = "Ann <ann@example.com>";
  EXPECT_EQ(FieldOf(BuildMessage(m).status()), "to.email");
  m = SampleMail();
  m.from.email = "";
  EXPECT_EQ(FieldOf(BuildMessage(m).status()), "from.email");
  m = SampleMail();
  m.from.name = "bad\xff";
  EXPECT_EQ(FieldOf(BuildMessage(m).status()), "from.name");
}

}  // namespace
}  // namespace store::newsletter

#include "services/invoicing/documents/invoice_document.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/pdf_tools.h"

// fontconfig keeps its configuration and font caches for the life of the
// process (a fixed amount, not per document): keep LeakSanitizer (the asan
// preset) from reporting them at exit.
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }

namespace store::invoicing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kNumber[] = "INV-2026-000042";
constexpr char kFooter[] = "Nour Trading \u00b7 IBAN KW81 CBKU 0000 0000 0000 1234 5601 01 & co";
constexpr char kArabicCompany[] = "شركة النور";

common::v1::Money Usd(int64_t amount_minor) {
  common::v1::Money money;
  money.set_amount_minor(amount_minor);
  money.set_currency_code("USD");
  return money;
}

int64_t UnixSeconds(int year, int month, int day, int hour, int minute) {
  return absl::ToUnixSeconds(
      absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, 0), absl::UTCTimeZone()));
}

void AddLine(v1::Invoice* invoice, const std::string& sku, const std::string& description,
             int quantity, int64_t unit_price, int64_t discount, int tax_rate_bp) {
  v1::InvoiceLine* line = invoice->add_lines();
  line->set_sku(sku);
  line->set_description(description);
  line->set_quantity(quantity);
  *line->mutable_unit_price() = Usd(unit_price);
  *line->mutable_discount() = Usd(discount);
  line->set_tax_rate_bp(tax_rate_bp);
  const int64_t net = quantity * unit_price - discount;
  const int64_t tax = (net * tax_rate_bp + 5000) / 10000;
  *line->mutable_net() = Usd(net);
  *line->mutable_tax() = Usd(tax);
  *line->mutable_total() = Usd(net + tax);
}

// An invoice from a Kuwaiti seller (Arabic company name) to a buyer with a
// Cyrillic name and an accented company: three lines at 20% and 5.5%.
v1::Invoice SampleInvoice() {
  v1::Invoice invoice;
  invoice.set_id("0d7c2f7e-invoice");
  invoice.set_kind(v1::DOCUMENT_KIND_INVOICE);
  invoice.set_number(kNumber);
  invoice.set_status(v1::INVOICE_STATUS_ISSUED);
  invoice.set_order_number(10001);
  invoice.set_currency_code("USD");
  // Late in the UTC day: a local-time conversion would show another date.
  invoice.mutable_issue_time()->set_seconds(UnixSeconds(2026, 3, 5, 23, 30));
  invoice.mutable_due_time()->set_seconds(UnixSeconds(2026, 4, 4, 23, 30));

  v1::Party* seller = invoice.mutable_seller();
  seller->set_name("Nour Trading");
  seller->set_company(kArabicCompany);
  seller->set_vat_id("KW-300123456");
  seller->set_email("billing@nour.example");
  seller->mutable_address()->set_line1("Salem Al-Mubarak Street 12");
  seller->mutable_address()->set_city("Salmiya");
  seller->mutable_address()->set_postal_code("22001");
  seller->mutable_address()->set_country_code("KW");

  v1::Party* buyer = invoice.mutable_buyer();
  buyer->set_name("Иван Петров");
  buyer->set_company("Léa Dubois Conseil");
  buyer->set_vat_id("FR40123456789");
  buyer->mutable_address()->set_line1("12 rue de l'Église");
  buyer->mutable_address()->set_city("Besançon");
  buyer->mutable_address()->set_postal_code("25000");
  buyer->mutable_address()->set_country_code("FR");

  AddLine(&invoice, "MUG-1", "Blue mug", 2, 1250, 0, 2000);      // 25.00 + 5.00
  AddLine(&invoice, "BOOK-7", "Café guide", 1, 1999, 199, 550);  // 18.00 + 0.99
  AddLine(&invoice, "TEA-3", "Green tea", 3, 450, 0, 2000);      // 13.50 + 2.70

  v1::TaxBreakdown* standard = invoice.add_taxes();
  standard->set_tax_rate_bp(2000);
  *standard->mutable_net() = Usd(3850);
  *standard->mutable_tax() = Usd(770);
  v1::TaxBreakdown* reduced = invoice.add_taxes();
  reduced->set_tax_rate_bp(550);
  *reduced->mutable_net() = Usd(1800);
  *reduced->mutable_tax() = Usd(99);
  *invoice.mutable_net_total() = Usd(5650);
  *invoice.mutable_tax_total() = Usd(869);
  *invoice.mutable_total() = Usd(6519);
  return invoice;
}

v1::Invoice CancelledInvoice() {
  v1::Invoice invoice = SampleInvoice();
  invoice.set_status(v1::INVOICE_STATUS_CANCELLED);
  invoice.set_reason("Order rejected by the store");
  invoice.mutable_cancel_time()->set_seconds(UnixSeconds(2026, 3, 6, 9, 0));
  return invoice;
}

v1::Invoice CreditNote() {
  v1::Invoice note = SampleInvoice();
  note.set_kind(v1::DOCUMENT_KIND_CREDIT_NOTE);
  note.set_number("CN-2026-000007");
  note.clear_due_time();
  note.set_credited_invoice_id("0d7c2f7e-invoice");
  note.set_credited_invoice_number(kNumber);
  note.set_reason("Returned: the mug arrived broken");
  note.clear_lines();
  AddLine(&note, "MUG-1", "Blue mug", 1, 1250, 0, 2000);
  note.clear_taxes();
  v1::TaxBreakdown* tax = note.add_taxes();
  tax->set_tax_rate_bp(2000);
  *tax->mutable_net() = Usd(1250);
  *tax->mutable_tax() = Usd(250);
  *note.mutable_net_total() = Usd(1250);
  *note.mutable_tax_total() = Usd(250);
  *note.mutable_total() = Usd(1500);
  return note;
}

// ---------------------------------------------------------------------------
// Helpers to look at a PDF with poppler-utils: libs/testing/pdf_tools.h.

using store::testing::HaveTool;
using store::testing::PdfInfo;
using store::testing::PdfPages;
using store::testing::PdfText;

// `text` with its code points in reverse order (visual order of RTL text).
std::string ReverseUtf8(absl::string_view text) {
  std::vector<std::string> chars;
  for (size_t i = 0; i < text.size();) {
    size_t n = 1;
    while (i + n < text.size() && (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80) ++n;
    chars.emplace_back(text.substr(i, n));
    i += n;
  }
  std::string out;
  for (auto it = chars.rbegin(); it != chars.rend(); ++it) out += *it;
  return out;
}

// Arabic words may come out of pdftotext in logical or in visual order,
// wrapped in bidi embedding marks and with spaces between some letters (it
// guesses word breaks from glyph positions): compare the letters only.
bool HasArabicWord(const std::string& text, const std::string& word) {
  std::string letters = text;
  for (const char* noise : {" ", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d",
                            "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"}) {
    absl::StrReplaceAll({{noise, ""}}, &letters);
  }
  return absl::StrContains(letters, word) || absl::StrContains(letters, ReverseUtf8(word));
}

int Count(absl::string_view text, absl::string_view needle) {
  int count = 0;
  for (size_t at = text.find(needle); at != absl::string_view::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

#define SKIP_WITHOUT_POPPLER()                                             \
  if (!HaveTool("pdftotext") || !HaveTool("pdfinfo")) {                    \
    GTEST_SKIP() << "poppler-utils (pdftotext, pdfinfo) is not installed"; \
  }

// ---------------------------------------------------------------------------

TEST(FormatTaxRateTest, PrintsPercentWithDecimalsOnlyWhenNeeded) {
  EXPECT_EQ(FormatTaxRate(2000), "20%");
  EXPECT_EQ(FormatTaxRate(550), "5.5%");
  EXPECT_EQ(FormatTaxRate(725), "7.25%");
  EXPECT_EQ(FormatTaxRate(5), "0.05%");
  EXPECT_EQ(FormatTaxRate(0), "0%");
  EXPECT_EQ(FormatTaxRate(10000), "100%");
}

TEST(HtmlEscapeTest, EscapesMarkupAndKeepsUnicode) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape("Иван Петров · شركة النور"), "Иван Петров · شركة النور");
  EXPECT_EQ(HtmlEscape("bad \xff byte"), "bad \xef\xbf\xbd byte");  // U+FFFD
}

TEST(RenderInvoiceHtmlTest, ShowsTheWholeInvoice) {
  const std::string html = RenderInvoiceHtml(SampleInvoice(), kFooter);
  EXPECT_THAT(html, StartsWith("<!DOCTYPE html>"));
  EXPECT_THAT(html, HasSubstr("<html lang=\"en\">"));
  EXPECT_THAT(html, HasSubstr("<meta charset=\"utf-8\">"));
  EXPECT_THAT(html, HasSubstr("@page { size: A4;"));
  EXPECT_THAT(html, HasSubstr("<title>Invoice INV-2026-000042</title>"));
  EXPECT_THAT(html, HasSubstr("<h1>Invoice</h1>"));
  EXPECT_THAT(html, HasSubstr("Issue date</dt><dd>2026-03-05</dd>"));
  EXPECT_THAT(html, HasSubstr("Due date</dt><dd>2026-04-04</dd>"));
  EXPECT_THAT(html, HasSubstr("#10001"));
  EXPECT_THAT(html, HasSubstr("<p class=\"name\" dir=\"auto\">Nour Trading</p>"));
  EXPECT_THAT(html, HasSubstr("<p class=\"company\" dir=\"auto\">شركة النور</p>"));
  EXPECT_THAT(html, HasSubstr("<p class=\"name\" dir=\"auto\">Иван Петров</p>"));
  EXPECT_THAT(html, HasSubstr("Léa Dubois Conseil"));
  EXPECT_THAT(html, HasSubstr("VAT ID: FR40123456789"));
  EXPECT_THAT(html, HasSubstr("12 rue de l&#39;Église"));
  EXPECT_THAT(html, HasSubstr("25000 Besançon"));
  EXPECT_THAT(html, HasSubstr(">KW<"));
  for (const char* text : {"Blue mug", "Café guide", "Green tea", "SKU BOOK-7", "12.50 USD",
                           "1.99 USD", "18.99 USD", "20%", "5.5%", "38.50 USD", "7.70 USD"}) {
    EXPECT_THAT(html, HasSubstr(text));
  }
  EXPECT_THAT(html, HasSubstr("Net total</th><td class=\"num\">56.50 USD"));
  EXPECT_THAT(html, HasSubstr("Tax total</th><td class=\"num\">8.69 USD"));
  EXPECT_THAT(html, HasSubstr("Total</th><td class=\"num\">65.19 USD"));
  EXPECT_THAT(html, HasSubstr("IBAN KW81 CBKU 0000 0000 0000 1234 5601 01 &amp; co</footer>"));
  EXPECT_THAT(html, Not(HasSubstr("CANCELLED")));
  EXPECT_THAT(html, Not(HasSubstr("Credits invoice")));
  EXPECT_THAT(html, HasSubstr("</html>\n"));
}

TEST(RenderInvoiceHtmlTest, EscapesEveryValue) {
  v1::Invoice invoice = SampleInvoice();
  invoice.mutable_buyer()->set_name("<script>alert(\"x\")</script>");
  invoice.mutable_lines(0)->set_description("<img src=x onerror=alert(1)>");
  invoice.set_number("INV-<b>");
  const std::string html = RenderInvoiceHtml(invoice, "<i>footer</i>");
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("&lt;img src=x onerror=alert(1)&gt;"));
  EXPECT_THAT(html, HasSubstr("INV-&lt;b&gt;"));
  EXPECT_THAT(html, HasSubstr("&lt;i&gt;footer&lt;/i&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("<b>")));
  EXPECT_THAT(html, Not(HasSubstr("<i>")));
}

TEST(RenderInvoiceHtmlTest, MarksACancelledInvoice) {
  const std::string html = RenderInvoiceHtml(CancelledInvoice(), kFooter);
  EXPECT_THAT(html, HasSubstr("<p class=\"stamp\">CANCELLED</p>"));
  EXPECT_THAT(html, HasSubstr("Cancelled on</dt><dd>2026-03-06</dd>"));
  EXPECT_THAT(html, HasSubstr("Order rejected by the store"));
}

TEST(RenderInvoiceHtmlTest, ShowsTheCreditedInvoice) {
  const std::string html = RenderInvoiceHtml(CreditNote(), kFooter);
  EXPECT_THAT(html, HasSubstr("<h1>Credit note</h1>"));
  EXPECT_THAT(html, HasSubstr("CN-2026-000007"));
  EXPECT_THAT(html, HasSubstr("Credits invoice INV-2026-000042"));
  EXPECT_THAT(html, HasSubstr("Returned: the mug arrived broken"));
  EXPECT_THAT(html, HasSubstr("15.00 USD"));
  EXPECT_THAT(html, Not(HasSubstr("Due date")));
  EXPECT_THAT(html, Not(HasSubstr("CANCELLED")));
}

TEST(RenderInvoicePdfTest, IsAPdfWithTheWholeInvoice) {
  absl::StatusOr<std::string> pdf = RenderInvoicePdf(SampleInvoice(), kFooter);
  ASSERT_TRUE(pdf.ok()) << pdf.status();
  EXPECT_THAT(*pdf, StartsWith("%PDF-"));
  EXPECT_THAT(*pdf, HasSubstr("%%EOF"));
  SKIP_WITHOUT_POPPLER();

  const std::string info = PdfInfo(*pdf);
  EXPECT_THAT(info, HasSubstr("Title:           INV-2026-000042"));
  EXPECT_THAT(info, HasSubstr("Page size:       595.276 x 841.89 pts (A4)"));
  EXPECT_EQ(PdfPages(info), 1);

  const std::string text = PdfText(*pdf);
  // Header, parties, lines, tax breakdown and totals, footer.
  constexpr absl::string_view kExpected =
      "Invoice|INV-2026-000042|2026-03-05|2026-04-04|#10001|Issued|"
      "Nour Trading|KW-300123456|Salmiya|Иван Петров|Léa Dubois Conseil|12 rue de l'Église|"
      "25000 Besançon|"
      "Blue mug|Café guide|Green tea|SKU MUG-1|12.50 USD|1.99 USD|18.99 USD|20%|5.5%|"
      "Tax breakdown|38.50 USD|7.70 USD|0.99 USD|56.50 USD|8.69 USD|65.19 USD|"
      "IBAN KW81 CBKU|Page 1 of 1";
  for (absl::string_view expected : absl::StrSplit(kExpected, '|')) {
    EXPECT_THAT(text, HasSubstr(std::string(expected)));
  }
  EXPECT_TRUE(HasArabicWord(text, "شركة")) << text;
  EXPECT_TRUE(HasArabicWord(text, "النور")) << text;
  EXPECT_THAT(text, Not(HasSubstr("CANCELLED")));
}

TEST(RenderInvoicePdfTest, EmbedsDejaVuSans) {
  absl::StatusOr<std::string> pdf = RenderInvoicePdf(SampleInvoice(), kFooter);
  ASSERT_TRUE(pdf.ok()) << pdf.status();
  if (!HaveTool("pdffonts")) GTEST_SKIP() << "poppler-utils (pdffonts) is not installed";
  const std::string fonts = PdfInfo(*pdf, "pdffonts");
  EXPECT_THAT(fonts, HasSubstr("DejaVuSans"));
  EXPECT_THAT(fonts, HasSubstr("DejaVuSans-Bold"));
  // Every font is embedded (column "emb" is "yes" on each row).
  for (absl::string_view line : absl::StrSplit(fonts, '\n')) {
    if (absl::StrContains(line, "DejaVu")) {
      EXPECT_THAT(line, HasSubstr(" yes ")) << line;
    }
  }
}

TEST(RenderInvoicePdfTest, MarksACancelledInvoice) {
  absl::StatusOr<std::string> pdf = RenderInvoicePdf(CancelledInvoice(), kFooter);
  ASSERT_TRUE(pdf.ok()) << pdf.status();
  SKIP_WITHOUT_POPPLER();
  const std::string text = PdfText(*pdf);
  EXPECT_THAT(text, HasSubstr("CANCELLED"));
  EXPECT_THAT(text, HasSubstr("2026-03-06"));
  EXPECT_THAT(text, HasSubstr("Order rejected by the store"));
  EXPECT_THAT(text, HasSubstr("Иван Петров"));
  EXPECT_THAT(text, HasSubstr("65.19 USD"));
}

TEST(RenderInvoicePdfTest, ShowsTheCreditedInvoice) {
  absl::StatusOr<std::string> pdf = RenderInvoicePdf(CreditNote(), kFooter);
  ASSERT_TRUE(pdf.ok()) << pdf.status();
  SKIP_WITHOUT_POPPLER();
  EXPECT_THAT(PdfInfo(*pdf), HasSubstr("Title:           CN-2026-000007"));
  const std::string text = PdfText(*pdf);
  for (const char* expected : {"Credit note", "CN-2026-000007", "Credits invoice INV-2026-000042",
                               "Returned: the mug arrived broken", "2026-03-05", "15.00 USD"}) {
    EXPECT_THAT(text, HasSubstr(expected));
  }
  EXPECT_THAT(text, Not(HasSubstr("Due date")));
}

TEST(RenderInvoicePdfTest, ContinuesLongTablesOnNextPages) {
  v1::Invoice invoice = SampleInvoice();
  invoice.clear_lines();
  for (int i = 1; i <= 120; ++i) {
    AddLine(&invoice, absl::StrCat("SKU-", i), absl::StrCat("Item number ", i), 1, 100 * i, 0,
            2000);
  }
  absl::StatusOr<std::string> pdf = RenderInvoicePdf(invoice, kFooter);
  ASSERT_TRUE(pdf.ok()) << pdf.status();
  EXPECT_GT(Count(*pdf, "/Type /Page") - Count(*pdf, "/Type /Pages"), 1);
  SKIP_WITHOUT_POPPLER();
  const int pages = PdfPages(PdfInfo(*pdf));
  EXPECT_GT(pages, 1);
  const std::string text = PdfText(*pdf);
  // Every line is there once, and the table header is repeated on each page.
  for (int i = 1; i <= 120; ++i) {
    EXPECT_EQ(Count(text, absl::StrCat("Item number ", i, " ")), 1) << i;
  }
  EXPECT_EQ(Count(text, "Description"), pages);
  EXPECT_THAT(text, HasSubstr(absl::StrCat("Page ", pages, " of ", pages)));
  EXPECT_THAT(text, HasSubstr("Invoice INV-2026-000042 (continued)"));
  EXPECT_THAT(text, HasSubstr("65.19 USD"));
}

TEST(RenderInvoicePdfTest, SurvivesHostileText) {
  v1::Invoice invoice = SampleInvoice();
  invoice.mutable_buyer()->set_name("bad \xff\xfe utf-8 <b>&amp;");
  invoice.mutable_lines(0)->set_description(std::string(5000, 'x'));
  invoice.set_reason(std::string(3000, 'y') + " " + std::string(3000, 'z'));
  absl::StatusOr<std::string> pdf = RenderInvoicePdf(invoice, std::string(10000, 'f'));
  ASSERT_TRUE(pdf.ok()) << pdf.status();
  EXPECT_THAT(*pdf, StartsWith("%PDF-"));
  SKIP_WITHOUT_POPPLER();
  EXPECT_THAT(PdfText(*pdf), HasSubstr("bad \xef\xbf\xbd\xef\xbf\xbd utf-8 <b>&amp;"));
}

// The service renders from its gRPC threads: same bytes from every thread.
TEST(RenderInvoicePdfTest, IsTheSameFileFromManyThreads) {
  const v1::Invoice invoice = CancelledInvoice();
  absl::StatusOr<std::string> reference = RenderInvoicePdf(invoice, kFooter);
  ASSERT_TRUE(reference.ok()) << reference.status();
  constexpr int kThreads = 4;
  std::vector<absl::StatusOr<std::string>> results(kThreads, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 3; ++round) results[i] = RenderInvoicePdf(invoice, kFooter);
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::StatusOr<std::string>& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_TRUE(*result == *reference);
  }
}

TEST(RenderInvoicePdfTest, RendersAnEmptyInvoice) {
  absl::StatusOr<std::string> pdf = RenderInvoicePdf(v1::Invoice(), "");
  ASSERT_TRUE(pdf.ok()) << pdf.status();
  EXPECT_THAT(*pdf, StartsWith("%PDF-"));
}

}  // namespace
}  // namespace store::invoicing

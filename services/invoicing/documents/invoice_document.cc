#include "services/invoicing/documents/invoice_document.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <glib-object.h>
#include <glib.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "libs/core/html.h"
#include "libs/core/money.h"
#include "libs/render/canvas.h"
#include "libs/render/page.h"

namespace store::invoicing {
namespace {

// ---------------------------------------------------------------------------
// The document as printed: every value formatted once, shared by the HTML and
// the PDF renderers so both show exactly the same content.

struct PartyView {
  std::string name;
  std::string company;
  std::string vat_id;
  std::vector<std::string> address_lines;  // street, postal code + city, region, country
  std::string email;
};

struct LineView {
  std::string description;
  std::string sku;
  std::string quantity;
  std::string unit_price;
  std::string discount;
  std::string tax_rate;
  std::string net;
  std::string tax;
  std::string total;
};

struct TaxView {
  std::string rate;
  std::string net;
  std::string tax;
};

struct DocumentView {
  bool cancelled = false;
  std::string title;  // "Invoice" or "Credit note"
  std::string number;
  // Label and value pairs under the title: dates, order, status.
  std::vector<std::pair<std::string, std::string>> meta;
  std::string credits;  // "Credits invoice INV-..." for a credit note
  std::string reason;
  PartyView seller;
  PartyView buyer;
  std::vector<LineView> lines;
  std::vector<TaxView> taxes;
  std::string net_total;
  std::string tax_total;
  std::string total;
  std::string footer;
};

// `text` as valid UTF-8 (invalid sequences become U+FFFD): Pango and Cairo
// require it and the HTML page declares it.
std::string Utf8(absl::string_view text) {
  if (g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr)) {
    return std::string(text);
  }
  gchar* valid = g_utf8_make_valid(text.data(), static_cast<gssize>(text.size()));
  std::string out(valid);
  g_free(valid);
  return out;
}

std::string FormatDate(const google::protobuf::Timestamp& time) {
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(time.seconds()), absl::UTCTimeZone());
}

std::string Amount(const common::v1::Money& money, absl::string_view fallback_currency) {
  return Utf8(FormatMoney(money.amount_minor(), money.currency_code().empty()
                                                    ? fallback_currency
                                                    : absl::string_view(money.currency_code())));
}

PartyView BuildParty(const v1::Party& party) {
  const common::v1::Address& address = party.address();
  PartyView view;
  view.name = Utf8(party.name().empty() ? address.name() : party.name());
  view.company = Utf8(party.company().empty() ? address.company() : party.company());
  const std::string& vat_id = party.vat_id().empty() ? address.vat_id() : party.vat_id();
  if (!vat_id.empty()) view.vat_id = Utf8(absl::StrCat("VAT ID: ", vat_id));
  for (const std::string& line : {address.line1(), address.line2()}) {
    if (!line.empty()) view.address_lines.push_back(Utf8(line));
  }
  std::vector<absl::string_view> city;
  if (!address.postal_code().empty()) city.push_back(address.postal_code());
  if (!address.city().empty()) city.push_back(address.city());
  if (!city.empty()) view.address_lines.push_back(Utf8(absl::StrJoin(city, " ")));
  if (!address.region().empty()) view.address_lines.push_back(Utf8(address.region()));
  if (!address.country_code().empty()) view.address_lines.push_back(Utf8(address.country_code()));
  view.email = Utf8(party.email());
  return view;
}

DocumentView BuildView(const v1::Invoice& invoice, absl::string_view footer) {
  const bool credit_note = invoice.kind() == v1::DOCUMENT_KIND_CREDIT_NOTE;
  const std::string currency = Utf8(invoice.currency_code());
  DocumentView doc;
  doc.cancelled = invoice.status() == v1::INVOICE_STATUS_CANCELLED;
  doc.title = credit_note ? "Credit note" : "Invoice";
  doc.number = Utf8(invoice.number());
  if (invoice.has_issue_time()) {
    doc.meta.emplace_back("Issue date", FormatDate(invoice.issue_time()));
  }
  if (invoice.has_due_time()) {
    doc.meta.emplace_back("Due date", FormatDate(invoice.due_time()));
  }
  if (invoice.order_number() != 0) {
    doc.meta.emplace_back("Order", absl::StrCat("#", invoice.order_number()));
  }
  if (doc.cancelled) {
    doc.meta.emplace_back("Status", "CANCELLED");
    if (invoice.has_cancel_time()) {
      doc.meta.emplace_back("Cancelled on", FormatDate(invoice.cancel_time()));
    }
  } else if (invoice.status() == v1::INVOICE_STATUS_ISSUED) {
    doc.meta.emplace_back("Status", "Issued");
  }
  if (credit_note && !invoice.credited_invoice_number().empty()) {
    doc.credits = Utf8(absl::StrCat("Credits invoice ", invoice.credited_invoice_number()));
  }
  doc.reason = Utf8(invoice.reason());
  doc.seller = BuildParty(invoice.seller());
  doc.buyer = BuildParty(invoice.buyer());
  for (const v1::InvoiceLine& line : invoice.lines()) {
    doc.lines.push_back(LineView{
        .description = Utf8(line.description()),
        .sku = Utf8(line.sku()),
        .quantity = absl::StrCat(line.quantity()),
        .unit_price = Amount(line.unit_price(), currency),
        .discount = Amount(line.discount(), currency),
        .tax_rate = FormatTaxRate(line.tax_rate_bp()),
        .net = Amount(line.net(), currency),
        .tax = Amount(line.tax(), currency),
        .total = Amount(line.total(), currency),
    });
  }
  for (const v1::TaxBreakdown& tax : invoice.taxes()) {
    doc.taxes.push_back(TaxView{.rate = FormatTaxRate(tax.tax_rate_bp()),
                                .net = Amount(tax.net(), currency),
                                .tax = Amount(tax.tax(), currency)});
  }
  doc.net_total = Amount(invoice.net_total(), currency);
  doc.tax_total = Amount(invoice.tax_total(), currency);
  doc.total = Amount(invoice.total(), currency);
  doc.footer = Utf8(footer);
  return doc;
}

// ---------------------------------------------------------------------------
// HTML

constexpr absl::string_view kCss = R"css(
@page { size: A4; margin: 15mm 15mm 18mm; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: #222; line-height: 1.35;
  font: 9pt/1.35 "DejaVu Sans", "Noto Sans", Arial, sans-serif; }
.doc { max-width: 180mm; margin: 0 auto; padding: 12mm 0; }
header { display: flex; justify-content: space-between; align-items: flex-start;
  border-bottom: 1.5pt solid #222; padding-bottom: 3mm; }
h1 { font-size: 18pt; margin: 0; }
.id { text-align: right; }
.number { font-size: 12pt; font-weight: bold; margin: 0; }
.stamp { display: inline-block; margin: 2mm 0 0; padding: 0.5mm 3mm; border: 1.5pt solid #c00;
  color: #c00; font-weight: bold; font-size: 12pt; letter-spacing: 0.1em; }
.meta { display: grid; grid-template-columns: repeat(4, 1fr); gap: 2mm 4mm; margin: 4mm 0; }
.meta dt { color: #666; font-size: 7.5pt; }
.meta dd { margin: 0; font-weight: bold; }
.meta .cancelled { color: #c00; }
.parties { display: grid; grid-template-columns: 1fr 1fr; gap: 8mm; margin: 4mm 0; }
.party h2 { color: #666; font-size: 7.5pt; font-weight: normal; margin: 0 0 1mm; }
.party p { margin: 0; text-align: left; }
.party .name { font-weight: bold; font-size: 10pt; }
.credit { margin: 3mm 0; }
.credit .credits { font-weight: bold; font-size: 10pt; }
.credit p, .reason { margin: 0 0 1mm; white-space: pre-line; }
table { width: 100%; border-collapse: collapse; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th { background: #eee; font-size: 7.5pt; text-align: right; padding: 1.5mm 1mm; }
td { padding: 1.5mm 1mm; border-bottom: 0.5pt solid #ccc; vertical-align: top; text-align: right; }
th.text, td.text { text-align: left; }
td.num { white-space: nowrap; }
.sku { color: #666; font-size: 7.5pt; }
.summary { display: flex; justify-content: space-between; align-items: flex-start; gap: 8mm;
  margin-top: 5mm; break-inside: avoid; page-break-inside: avoid; }
.taxes { width: 80mm; }
.taxes caption { text-align: left; font-weight: bold; margin-bottom: 1mm; }
.totals { width: 75mm; }
.totals th { background: none; font-size: 9pt; font-weight: normal; text-align: left; }
.totals td { border: none; }
.totals .grand th, .totals .grand td { font-weight: bold; font-size: 11pt;
  border-top: 1pt solid #222; }
footer { margin-top: 10mm; border-top: 0.5pt solid #ccc; padding-top: 2mm; color: #666;
  font-size: 7.5pt; text-align: center; white-space: pre-line; }
.watermark { position: fixed; top: 45%; left: 0; right: 0; text-align: center;
  font-size: 72pt; font-weight: bold; color: rgba(204, 0, 0, 0.12);
  transform: rotate(-30deg); pointer-events: none; }
@media print { .doc { max-width: none; padding: 0; } }
)css";

void AppendParty(std::string* out, absl::string_view heading, const PartyView& party) {
  absl::StrAppend(out, "<div class=\"party\">\n<h2>", heading, "</h2>\n");
  if (!party.name.empty()) {
    absl::StrAppend(out, "<p class=\"name\" dir=\"auto\">", HtmlEscape(party.name), "</p>\n");
  }
  if (!party.company.empty()) {
    absl::StrAppend(out, "<p class=\"company\" dir=\"auto\">", HtmlEscape(party.company), "</p>\n");
  }
  if (!party.vat_id.empty()) {
    absl::StrAppend(out, "<p class=\"vat\">", HtmlEscape(party.vat_id), "</p>\n");
  }
  for (const std::string& line : party.address_lines) {
    absl::StrAppend(out, "<p dir=\"auto\">", HtmlEscape(line), "</p>\n");
  }
  if (!party.email.empty()) {
    absl::StrAppend(out, "<p class=\"email\">", HtmlEscape(party.email), "</p>\n");
  }
  absl::StrAppend(out, "</div>\n");
}

// ---------------------------------------------------------------------------
// PDF

constexpr double kPageWidth = render::kA4Width;
constexpr double kPageHeight = render::kA4Height;
constexpr double kMargin = render::kPageMargin;
constexpr double kContentWidth = render::kPageContentWidth;
constexpr double kCellPadding = 3;
using render::kInk;
using render::kMuted;
using render::kRule;
using render::LayoutPtr;
using render::Rgb;
using render::TextStyle;
constexpr Rgb kRed{0.80, 0.00, 0.00};
constexpr Rgb kHeaderFill{0.93, 0.93, 0.93};

struct Column {
  const char* title;
  double width;
};
// The lines table; the description takes what the others leave.
constexpr Column kAmountColumns[] = {{"Qty", 28},      {"Unit price", 60}, {"Discount", 56},
                                     {"Tax rate", 44}, {"Net", 60},        {"Tax", 54},
                                     {"Total", 64}};
constexpr double AmountColumnsWidth() {
  double width = 0;
  for (const Column& column : kAmountColumns) width += column.width;
  return width;
}
constexpr double kDescriptionWidth = kContentWidth - AmountColumnsWidth();

// Lays the document out page by page. Run once with `draw` false to count
// the pages (for "Page 1 of 2"), then again to draw them.
class PdfLayout : render::PageLayout {
 public:
  PdfLayout(cairo_t* cr, PangoContext* pango, const DocumentView& doc, bool draw, int page_count)
      : PageLayout(cr, pango, draw), doc_(doc), page_count_(page_count) {}

  // Returns the number of pages.
  int Render() {
    BeginPage();
    y_ += Header(y_, true);
    y_ += Meta(y_, true);
    y_ += Parties(y_, true);
    y_ += Credit(y_, true);
    Lines();
    Summary();
    EndPage();
    return page_;
  }

 private:
  void BeginPage() {
    ++page_;
    y_ = kMargin;
    if (doc_.cancelled) Watermark();
    bottom_ = kPageHeight - kMargin - Footer(false) - 10;
    Footer(true);
  }

  void EndPage() { ShowPage(); }

  void NextPage() {
    EndPage();
    BeginPage();
    const std::string continued = absl::StrCat(doc_.title, " ", doc_.number, " (continued)");
    y_ += Put(continued, {.size = 9, .bold = true, .color = kMuted}, kMargin, y_, kContentWidth,
              true) +
          4;
    Rule(y_, 0.75, kInk);
    y_ += 8;
  }

  // A light "CANCELLED" across the page, under the content.
  void Watermark() {
    if (!draw_) return;
    LayoutPtr layout = Text("CANCELLED", {.size = 80, .bold = true}, kPageWidth);
    cairo_save(cr_);
    cairo_translate(cr_, kPageWidth / 2, kPageHeight / 2);
    cairo_rotate(cr_, -G_PI / 6);
    pango_cairo_update_layout(cr_, layout.get());
    const double width = Width(layout.get());
    const double height = Height(layout.get());
    cairo_set_source_rgba(cr_, kRed.r, kRed.g, kRed.b, 0.10);
    cairo_move_to(cr_, -width / 2, -height / 2);
    pango_cairo_show_layout(cr_, layout.get());
    cairo_restore(cr_);
    pango_cairo_update_context(cr_, pango_);
  }

  // The footer text and the page number at the bottom; returns its height.
  double Footer(bool paint) {
    const std::string page = absl::StrCat(doc_.number, doc_.number.empty() ? "" : " \u00b7 ",
                                          "Page ", page_, " of ", std::max(page_count_, page_));
    LayoutPtr footer = Text(
        doc_.footer, {.size = 7.5, .color = kMuted, .align = PANGO_ALIGN_CENTER, .max_lines = 6},
        kContentWidth);
    LayoutPtr number =
        Text(page, {.size = 7, .color = kMuted, .align = PANGO_ALIGN_CENTER}, kContentWidth);
    const double footer_height = doc_.footer.empty() ? 0 : Height(footer.get()) + 2;
    const double height = 4 + footer_height + Height(number.get());
    if (paint) {
      double y = kPageHeight - kMargin - height;
      Rule(y, 0.5, kRule);
      y += 4;
      if (!doc_.footer.empty()) Show(footer.get(), kMuted, kMargin, y);
      y += footer_height;
      Show(number.get(), kMuted, kMargin, y);
    }
    return height;
  }

  double Header(double y, bool paint) {
    const double half = kContentWidth / 2;
    const double title = Put(doc_.title, {.size = 18, .bold = true}, kMargin, y, half, paint);
    double right =
        Put(doc_.number, {.size = 13, .bold = true, .align = PANGO_ALIGN_RIGHT, .max_lines = 2},
            kMargin + half, y + 2, half, paint) +
        2;
    if (doc_.cancelled) {
      LayoutPtr stamp = Text("CANCELLED", {.size = 12, .bold = true}, half);
      const double width = Width(stamp.get());
      const double height = Height(stamp.get());
      const double x = kMargin + kContentWidth - width - 6;
      const double top = y + right + 6;
      if (paint && draw_) {
        cairo_set_source_rgb(cr_, kRed.r, kRed.g, kRed.b);
        cairo_set_line_width(cr_, 1.5);
        cairo_rectangle(cr_, x - 6, top - 2, width + 12, height + 4);
        cairo_stroke(cr_);
      }
      if (paint) Show(stamp.get(), kRed, x, top);
      right += 6 + height + 4;
    }
    const double height = std::max(title, right) + 6;
    if (paint) Rule(y + height, 1.5, kInk);
    return height + 10;
  }

  // Dates, order and status, four per row.
  double Meta(double y, bool paint) {
    constexpr int kPerRow = 4;
    const double width = kContentWidth / kPerRow;
    double height = 0;
    double row_height = 0;
    for (size_t i = 0; i < doc_.meta.size(); ++i) {
      const auto& [label, value] = doc_.meta[i];
      const double x = kMargin + width * (i % kPerRow);
      const double top = y + height;
      const double label_height =
          Put(label, {.size = 7.5, .color = kMuted}, x, top, width - 6, paint);
      const double value_height =
          Put(value, {.size = 9.5, .bold = true, .color = value == "CANCELLED" ? kRed : kInk}, x,
              top + label_height, width - 6, paint);
      row_height = std::max(row_height, label_height + value_height);
      if (i % kPerRow == kPerRow - 1 || i + 1 == doc_.meta.size()) {
        height += row_height + 6;
        row_height = 0;
      }
    }
    return height + 6;
  }

  double Party(absl::string_view heading, const PartyView& party, double x, double y, double width,
               bool paint) {
    double height = Put(heading, {.size = 7.5, .color = kMuted}, x, y, width, paint) + 2;
    height +=
        Put(party.name, {.size = 10.5, .bold = true, .max_lines = 3}, x, y + height, width, paint);
    const TextStyle style{.size = 9, .max_lines = 3};
    height += Put(party.company, style, x, y + height, width, paint);
    height += Put(party.vat_id, style, x, y + height, width, paint);
    for (const std::string& line : party.address_lines) {
      height += Put(line, style, x, y + height, width, paint);
    }
    height += Put(party.email, {.size = 8.5, .color = kMuted, .max_lines = 2}, x, y + height, width,
                  paint);
    return height;
  }

  double Parties(double y, bool paint) {
    constexpr double kGap = 24;
    const double width = (kContentWidth - kGap) / 2;
    const double seller = Party("Seller", doc_.seller, kMargin, y, width, paint);
    const double buyer = Party("Buyer", doc_.buyer, kMargin + width + kGap, y, width, paint);
    return std::max(seller, buyer) + 14;
  }

  double Credit(double y, bool paint) {
    double height = Put(doc_.credits, {.size = 10, .bold = true}, kMargin, y, kContentWidth, paint);
    if (!doc_.reason.empty()) {
      height += Put(absl::StrCat("Reason: ", doc_.reason), {.size = 9, .max_lines = 8}, kMargin,
                    y + height, kContentWidth, paint);
    }
    return height == 0 ? 0 : height + 12;
  }

  double TableHeader(double y, bool paint) {
    const TextStyle style{.size = 7.5, .bold = true};
    TextStyle right = style;
    right.align = PANGO_ALIGN_RIGHT;
    // Measured first, so that the background covers a title that wraps.
    double height = 0;
    for (const bool draw : {false, true}) {
      if (draw && paint) Fill(kMargin, y, kContentWidth, height, kHeaderFill);
      height = Put("Description", style, kMargin + kCellPadding, y + kCellPadding,
                   kDescriptionWidth - 2 * kCellPadding, draw && paint);
      double x = kMargin + kDescriptionWidth;
      for (const Column& column : kAmountColumns) {
        height = std::max(height, Put(column.title, right, x + kCellPadding, y + kCellPadding,
                                      column.width - 2 * kCellPadding, draw && paint));
        x += column.width;
      }
      height += 2 * kCellPadding;
    }
    return height;
  }

  double Row(const LineView& line, double y, bool paint) {
    const double top = y + kCellPadding;
    double description =
        Put(line.description, {.size = 8.5, .max_lines = 6}, kMargin + kCellPadding, top,
            kDescriptionWidth - 2 * kCellPadding, paint);
    if (!line.sku.empty()) {
      description += Put(absl::StrCat("SKU ", line.sku),
                         {.size = 7, .color = kMuted, .max_lines = 2}, kMargin + kCellPadding,
                         top + description, kDescriptionWidth - 2 * kCellPadding, paint);
    }
    double height = description;
    const std::string* values[] = {&line.quantity, &line.unit_price, &line.discount, &line.tax_rate,
                                   &line.net,      &line.tax,        &line.total};
    double x = kMargin + kDescriptionWidth;
    for (size_t i = 0; i < std::size(kAmountColumns); ++i) {
      height = std::max(
          height, Put(*values[i], {.size = 8, .align = PANGO_ALIGN_RIGHT}, x + kCellPadding, top,
                      kAmountColumns[i].width - 2 * kCellPadding, paint));
      x += kAmountColumns[i].width;
    }
    height += 2 * kCellPadding;
    if (paint) Rule(y + height, 0.5, kRule);
    return height;
  }

  void Lines() {
    const double header = TableHeader(y_, false);
    const double first = doc_.lines.empty() ? 0 : Row(doc_.lines.front(), y_, false);
    if (y_ + header + first > bottom_) NextPage();
    y_ += TableHeader(y_, true);
    bool page_has_rows = false;
    for (const LineView& line : doc_.lines) {
      const double height = Row(line, y_, false);
      if (page_has_rows && y_ + height > bottom_) {
        NextPage();
        y_ += TableHeader(y_, true);
      }
      y_ += Row(line, y_, true);
      page_has_rows = true;
    }
    y_ += 14;
  }

  // The tax breakdown on the left, the totals on the right.
  double SummaryBlock(double y, bool paint) {
    constexpr double kTaxWidth = 230;
    constexpr double kTotalsWidth = 240;
    const double column = kTaxWidth / 3;
    double left = 0;
    if (!doc_.taxes.empty()) {
      left += Put("Tax breakdown", {.size = 9, .bold = true}, kMargin, y, kTaxWidth, paint) + 3;
      const TextStyle head{.size = 7.5, .color = kMuted, .align = PANGO_ALIGN_RIGHT};
      const TextStyle cell{.size = 8.5, .align = PANGO_ALIGN_RIGHT};
      const char* titles[] = {"Rate", "Net", "Tax"};
      double row = 0;
      for (int i = 0; i < 3; ++i) {
        row = std::max(row, Put(titles[i], head, kMargin + column * i, y + left, column, paint));
      }
      left += row + 2;
      if (paint) Rule(y + left, 0.5, kRule);
      left += 2;
      for (const TaxView& tax : doc_.taxes) {
        const std::string* values[] = {&tax.rate, &tax.net, &tax.tax};
        row = 0;
        for (int i = 0; i < 3; ++i) {
          row = std::max(row, Put(*values[i], cell, kMargin + column * i, y + left, column, paint));
        }
        left += row + 2;
      }
    }
    const double x = kMargin + kContentWidth - kTotalsWidth;
    const double label_width = kTotalsWidth * 0.4;
    const double value_width = kTotalsWidth - label_width;
    double right = 0;
    auto total_row = [&](absl::string_view label, const std::string& value, double size,
                         bool bold) {
      const double label_height =
          Put(label, {.size = size, .bold = bold}, x, y + right, label_width, paint);
      const double value_height =
          Put(value, {.size = size, .bold = bold, .align = PANGO_ALIGN_RIGHT}, x + label_width,
              y + right, value_width, paint);
      right += std::max(label_height, value_height) + 3;
    };
    total_row("Net total", doc_.net_total, 9, false);
    total_row("Tax total", doc_.tax_total, 9, false);
    if (paint && draw_) {
      cairo_set_source_rgb(cr_, kInk.r, kInk.g, kInk.b);
      cairo_set_line_width(cr_, 1);
      cairo_move_to(cr_, x, y + right);
      cairo_line_to(cr_, x + kTotalsWidth, y + right);
      cairo_stroke(cr_);
    }
    right += 3;
    total_row("Total", doc_.total, 11.5, true);
    return std::max(left, right);
  }

  void Summary() {
    if (y_ + SummaryBlock(y_, false) > bottom_) NextPage();
    y_ += SummaryBlock(y_, true);
  }

  const DocumentView& doc_;
  const int page_count_;
  int page_ = 0;
  double y_ = 0;
  double bottom_ = 0;  // where the footer area starts
};

}  // namespace

std::string HtmlEscape(absl::string_view text) { return store::HtmlEscape(Utf8(text)); }

std::string FormatTaxRate(int32_t basis_points) {
  const int64_t bp = basis_points;
  const int64_t abs = std::llabs(bp);
  const absl::string_view sign = bp < 0 ? "-" : "";
  const int64_t whole = abs / 100;
  const int64_t fraction = abs % 100;
  if (fraction == 0) return absl::StrCat(sign, whole, "%");
  if (fraction % 10 == 0) return absl::StrCat(sign, whole, ".", fraction / 10, "%");
  return absl::StrCat(sign, whole, ".", fraction / 10, fraction % 10, "%");
}

std::string RenderInvoiceHtml(const v1::Invoice& invoice, absl::string_view footer) {
  const DocumentView doc = BuildView(invoice, footer);
  std::string out;
  absl::StrAppend(&out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
                  "<title>", doc.title, " ", HtmlEscape(doc.number), "</title>\n<style>", kCss,
                  "</style>\n</head>\n<body>\n");
  if (doc.cancelled) {
    absl::StrAppend(&out, "<div class=\"watermark\" aria-hidden=\"true\">CANCELLED</div>\n");
  }
  absl::StrAppend(&out, "<main class=\"doc\">\n<header>\n<h1>", doc.title,
                  "</h1>\n<div class=\"id\">\n<p class=\"number\">", HtmlEscape(doc.number),
                  "</p>\n");
  if (doc.cancelled) absl::StrAppend(&out, "<p class=\"stamp\">CANCELLED</p>\n");
  absl::StrAppend(&out, "</div>\n</header>\n");

  if (!doc.meta.empty()) {
    absl::StrAppend(&out, "<dl class=\"meta\">\n");
    for (const auto& [label, value] : doc.meta) {
      absl::StrAppend(&out, "<div><dt>", label, "</dt><dd",
                      value == "CANCELLED" ? " class=\"cancelled\"" : "", ">", HtmlEscape(value),
                      "</dd></div>\n");
    }
    absl::StrAppend(&out, "</dl>\n");
  }

  absl::StrAppend(&out, "<section class=\"parties\">\n");
  AppendParty(&out, "Seller", doc.seller);
  AppendParty(&out, "Buyer", doc.buyer);
  absl::StrAppend(&out, "</section>\n");

  if (!doc.credits.empty() || !doc.reason.empty()) {
    absl::StrAppend(&out, "<section class=\"credit\">\n");
    if (!doc.credits.empty()) {
      absl::StrAppend(&out, "<p class=\"credits\">", HtmlEscape(doc.credits), "</p>\n");
    }
    if (!doc.reason.empty()) {
      absl::StrAppend(&out, "<p class=\"reason\">Reason: <span dir=\"auto\">",
                      HtmlEscape(doc.reason), "</span></p>\n");
    }
    absl::StrAppend(&out, "</section>\n");
  }

  absl::StrAppend(&out,
                  "<table class=\"lines\">\n<thead>\n<tr><th class=\"text\">Description</th>");
  for (const Column& column : kAmountColumns) {
    absl::StrAppend(&out, "<th>", column.title, "</th>");
  }
  absl::StrAppend(&out, "</tr>\n</thead>\n<tbody>\n");
  for (const LineView& line : doc.lines) {
    absl::StrAppend(&out, "<tr><td class=\"text\"><div dir=\"auto\">", HtmlEscape(line.description),
                    "</div>");
    if (!line.sku.empty()) {
      absl::StrAppend(&out, "<div class=\"sku\">SKU ", HtmlEscape(line.sku), "</div>");
    }
    absl::StrAppend(&out, "</td>");
    for (const std::string* value : {&line.quantity, &line.unit_price, &line.discount,
                                     &line.tax_rate, &line.net, &line.tax, &line.total}) {
      absl::StrAppend(&out, "<td class=\"num\">", HtmlEscape(*value), "</td>");
    }
    absl::StrAppend(&out, "</tr>\n");
  }
  absl::StrAppend(&out, "</tbody>\n</table>\n<section class=\"summary\">\n");

  if (!doc.taxes.empty()) {
    absl::StrAppend(&out,
                    "<table class=\"taxes\">\n<caption>Tax breakdown</caption>\n"
                    "<thead><tr><th>Rate</th><th>Net</th><th>Tax</th></tr></thead>\n<tbody>\n");
    for (const TaxView& tax : doc.taxes) {
      absl::StrAppend(&out, "<tr><td class=\"num\">", HtmlEscape(tax.rate),
                      "</td><td class=\"num\">", HtmlEscape(tax.net), "</td><td class=\"num\">",
                      HtmlEscape(tax.tax), "</td></tr>\n");
    }
    absl::StrAppend(&out, "</tbody>\n</table>\n");
  } else {
    absl::StrAppend(&out, "<div></div>\n");
  }
  absl::StrAppend(&out, "<table class=\"totals\">\n<tr><th>Net total</th><td class=\"num\">",
                  HtmlEscape(doc.net_total), "</td></tr>\n<tr><th>Tax total</th><td class=\"num\">",
                  HtmlEscape(doc.tax_total),
                  "</td></tr>\n<tr class=\"grand\"><th>Total</th><td class=\"num\">",
                  HtmlEscape(doc.total), "</td></tr>\n");
  absl::StrAppend(&out, "</table>\n</section>\n");
  if (!doc.footer.empty()) {
    absl::StrAppend(&out, "<footer dir=\"auto\">", HtmlEscape(doc.footer), "</footer>\n");
  }
  absl::StrAppend(&out, "</main>\n</body>\n</html>\n");
  return out;
}

absl::StatusOr<std::string> RenderInvoicePdf(const v1::Invoice& invoice, absl::string_view footer) {
  const DocumentView doc = BuildView(invoice, footer);
  render::PdfMetadata metadata;
  metadata.title = doc.number.empty() ? doc.title : doc.number;
  metadata.subject = absl::StrCat(doc.title, " ", doc.number);
  metadata.author = doc.seller.name;
  // The issue time rather than now: the same invoice gives the same file.
  if (invoice.has_issue_time())
    metadata.create_time = absl::FromUnixSeconds(invoice.issue_time().seconds());
  return render::RenderA4Pdf("invoice", metadata,
                             [&](cairo_t* cr, PangoContext* pango, bool draw, int page_count) {
                               return PdfLayout(cr, pango, doc, draw, page_count).Render();
                             });
}

}  // namespace store::invoicing

#include "services/order/documents/packing_slip.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/core/html.h"
#include "libs/core/money.h"
#include "libs/render/canvas.h"
#include "libs/render/page.h"

namespace store::order {
namespace {

using render::kInk;
using render::kMuted;
using render::kRule;
using render::LayoutPtr;
using render::Rgb;
using render::TextStyle;

constexpr double kMargin = render::kPageMargin;
constexpr double kWidth = render::kPageContentWidth;
constexpr double kPadding = 3;
constexpr Rgb kHeaderFill{0.93, 0.93, 0.93};

std::string Date(const google::protobuf::Timestamp& ts, const absl::TimeZone& zone) {
  if (ts.seconds() == 0) return "";
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(ts.seconds()), zone);
}

std::string Price(const common::v1::Money& m, const std::string& currency) {
  return FormatMoney(m.amount_minor(), m.currency_code().empty() ? currency : m.currency_code());
}

// The ship-to block, one line each.
std::vector<std::string> AddressLines(const v1::Order& o) {
  const common::v1::Address& a = o.shipping_address();
  std::vector<std::string> lines;
  for (const std::string* part : {&a.name(), &a.company(), &a.line1(), &a.line2()}) {
    if (!part->empty()) lines.push_back(*part);
  }
  std::string city = absl::StrJoin({a.postal_code(), a.city()}, " ");
  if (a.postal_code().empty() || a.city().empty()) city = a.postal_code() + a.city();
  if (!city.empty()) lines.push_back(city);
  if (!a.region().empty()) lines.push_back(a.region());
  if (!a.country_code().empty()) lines.push_back(a.country_code());
  const std::string& phone = a.phone().empty() ? o.customer().phone() : a.phone();
  if (!phone.empty()) lines.push_back(phone);
  return lines;
}

std::string DeliveryName(const v1::Order& o) {
  return o.delivery_method().name().empty() ? o.delivery_method().code()
                                            : o.delivery_method().name();
}

// Newest change among the orders: the PDF's date (never "now").
absl::Time NewestUpdate(const std::vector<const v1::Order*>& orders) {
  int64_t newest = 0;
  for (const v1::Order* o : orders) {
    newest =
        std::max<int64_t>(newest, std::max(o->update_time().seconds(), o->create_time().seconds()));
  }
  return absl::FromUnixSeconds(newest);
}

std::vector<const v1::Order*> Pointers(const std::vector<v1::Order>& orders) {
  std::vector<const v1::Order*> out;
  for (const v1::Order& o : orders) out.push_back(&o);
  return out;
}

// ---------------------------------------------------------------------------
// HTML

constexpr absl::string_view kCss = R"css(
@page { size: A4; margin: 15mm; }
* { box-sizing: border-box; }
body { margin: 0; color: #222; font: 10pt/1.35 "DejaVu Sans", "Noto Sans", Arial, sans-serif; }
.doc { max-width: 180mm; margin: 0 auto; padding: 10mm 0; break-after: page; page-break-after: always; }
.doc:last-of-type { break-after: auto; page-break-after: auto; }
header { display: flex; justify-content: space-between; border-bottom: 1.5pt solid #222;
  padding-bottom: 3mm; }
h1 { font-size: 18pt; margin: 0; }
.store { margin: 1mm 0 0; color: #666; }
.id { text-align: right; }
.number { font-size: 13pt; font-weight: bold; margin: 0; }
.blocks { display: grid; grid-template-columns: 1fr 1fr; gap: 8mm; margin: 5mm 0; }
.blocks h2 { color: #666; font-size: 8pt; font-weight: normal; margin: 0 0 1mm; }
.blocks p { margin: 0; white-space: pre-line; }
table { width: 100%; border-collapse: collapse; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th { background: #eee; font-size: 8pt; text-align: left; padding: 1.5mm 1mm; }
td { padding: 2mm 1mm; border-bottom: 0.5pt solid #ccc; vertical-align: top; }
.num { text-align: right; white-space: nowrap; }
.qty { font-weight: bold; font-size: 12pt; }
.note { margin-top: 5mm; padding: 2mm 3mm; border: 0.5pt solid #ccc; white-space: pre-line; }
.orders { color: #666; font-size: 8pt; }
@media print { .doc { max-width: none; padding: 0; } }
)css";

std::string HtmlHead(absl::string_view title) {
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
      title, "</title>\n<style>", kCss, "</style>\n</head>\n<body>\n");
}

// ---------------------------------------------------------------------------
// PDF

struct Column {
  std::string title;
  double width;  // 0: what the others leave
  bool numeric = false;
};

std::vector<Column> Fit(std::vector<Column> columns) {
  double fixed = 0;
  for (const Column& c : columns) fixed += c.width;
  for (Column& c : columns) {
    if (c.width == 0) c.width = kWidth - fixed;
  }
  return columns;
}

// A batch of documents page by page: each document starts on a new page,
// a table too long for one continues on the next under its header again.
class BatchLayout : protected render::PageLayout {
 public:
  BatchLayout(cairo_t* cr, PangoContext* pango, bool draw, int page_count)
      : PageLayout(cr, pango, draw), page_count_(page_count) {}

 protected:
  void BeginPage(const std::string& label) {
    ++page_;
    y_ = kMargin;
    label_ = label;
    const std::string text =
        absl::StrCat(label_, " \u00b7 Page ", page_, " of ", std::max(page_count_, page_));
    LayoutPtr footer =
        Text(text, {.size = 7, .color = kMuted, .align = PANGO_ALIGN_CENTER}, kWidth);
    const double height = Height(footer.get());
    bottom_ = render::kA4Height - kMargin - height - 10;
    Rule(render::kA4Height - kMargin - height - 4, 0.5, kRule);
    Show(footer.get(), kMuted, kMargin, render::kA4Height - kMargin - height);
  }

  void EndPage() { ShowPage(); }

  double TableHeader(const std::vector<Column>& columns) {
    double height = 0;
    for (const Column& c : columns) {
      height = std::max(
          height, Put(c.title, {.size = 7.5, .bold = true}, 0, 0, c.width - 2 * kPadding, false));
    }
    height += 2 * kPadding;
    Fill(kMargin, y_, kWidth, height, kHeaderFill);
    double x = kMargin;
    for (const Column& c : columns) {
      Put(c.title,
          {.size = 7.5, .bold = true, .align = c.numeric ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT},
          x + kPadding, y_ + kPadding, c.width - 2 * kPadding, true);
      x += c.width;
    }
    y_ += height;
    return height;
  }

  // One row; a new page (with `continued` and the header) when it does not
  // fit.
  void Row(const std::vector<Column>& columns, const std::vector<std::string>& cells,
           const std::vector<TextStyle>& styles, const std::string& continued) {
    double height = 0;
    for (size_t i = 0; i < columns.size(); ++i) {
      height =
          std::max(height, Put(cells[i], styles[i], 0, 0, columns[i].width - 2 * kPadding, false));
    }
    height += 2 * kPadding;
    if (y_ + height > bottom_) {
      EndPage();
      BeginPage(label_);
      y_ +=
          Put(continued, {.size = 9, .bold = true, .color = kMuted}, kMargin, y_, kWidth, true) + 6;
      TableHeader(columns);
    }
    double x = kMargin;
    for (size_t i = 0; i < columns.size(); ++i) {
      TextStyle style = styles[i];
      style.align = columns[i].numeric ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT;
      Put(cells[i], style, x + kPadding, y_ + kPadding, columns[i].width - 2 * kPadding, true);
      x += columns[i].width;
    }
    y_ += height;
    Rule(y_, 0.5, kRule);
  }

  // Title left (with a subtitle under it), identification right.
  void Header(const std::string& title, const std::string& subtitle, const std::string& id,
              const std::string& id_detail) {
    const double half = kWidth / 2;
    double left = Put(title, {.size = 18, .bold = true}, kMargin, y_, half, true);
    left += Put(subtitle, {.size = 9, .color = kMuted}, kMargin, y_ + left + 2, half, true) + 2;
    double right = Put(id, {.size = 13, .bold = true, .align = PANGO_ALIGN_RIGHT}, kMargin + half,
                       y_ + 2, half, true) +
                   2;
    right += Put(id_detail, {.size = 9, .color = kMuted, .align = PANGO_ALIGN_RIGHT},
                 kMargin + half, y_ + right + 2, half, true) +
             2;
    y_ += std::max(left, right) + 6;
    Rule(y_, 1.5, kInk);
    y_ += 12;
  }

  double y_ = 0;
  double bottom_ = 0;
  int page_ = 0;

 private:
  const int page_count_;
  std::string label_;
};

class SlipsLayout : BatchLayout {
 public:
  SlipsLayout(cairo_t* cr, PangoContext* pango, bool draw, int page_count,
              const std::vector<const v1::Order*>& orders, const PackingOptions& options)
      : BatchLayout(cr, pango, draw, page_count), orders_(orders), options_(options) {}

  int Render() {
    std::vector<Column> columns = {{"SKU", 110}, {"Item", 0}, {"Qty", 40, true}};
    if (options_.show_prices) {
      columns.insert(columns.end(), {{"Unit price", 70, true}, {"Total", 70, true}});
    }
    columns = Fit(columns);
    for (const v1::Order* o : orders_) {
      const std::string number = absl::StrCat("Order #", o->number());
      BeginPage(number);
      Header("Packing slip", options_.store_name, number,
             absl::StrCat("Placed ", Date(o->create_time(), options_.zone)));
      const double half = kWidth / 2;
      double left = Put("Ship to", {.size = 7.5, .color = kMuted}, kMargin, y_, half, true) + 2;
      left += Put(absl::StrJoin(AddressLines(*o), "\n"), {.size = 10}, kMargin, y_ + left,
                  half - 12, true);
      double right =
          Put("Delivery", {.size = 7.5, .color = kMuted}, kMargin + half, y_, half, true) + 2;
      right +=
          Put(DeliveryName(*o), {.size = 10, .bold = true}, kMargin + half, y_ + right, half, true);
      y_ += std::max(left, right) + 14;
      TableHeader(columns);
      const std::string continued = absl::StrCat(number, " (continued)");
      for (const PackLine& line : LinesToPack(*o)) {
        std::vector<std::string> cells = {line.sku, line.name, absl::StrCat(line.quantity)};
        std::vector<TextStyle> styles = {{.size = 9}, {.size = 9}, {.size = 11, .bold = true}};
        if (options_.show_prices) {
          cells.push_back(Price(line.item->unit_price(), o->currency_code()));
          common::v1::Money total = line.item->unit_price();
          total.set_amount_minor(total.amount_minor() * line.quantity);
          cells.push_back(Price(total, o->currency_code()));
          styles.insert(styles.end(), {{.size = 9}, {.size = 9}});
        }
        Row(columns, cells, styles, continued);
      }
      if (!o->customer_note().empty()) {
        y_ += 10;
        const std::string note = absl::StrCat("Note from the customer: ", o->customer_note());
        const double height = Put(note, {.size = 9}, 0, 0, kWidth, false);
        if (y_ + height > bottom_) {
          EndPage();
          BeginPage(number);
        }
        y_ += Put(note, {.size = 9}, kMargin, y_, kWidth, true);
      }
      EndPage();
    }
    return page_;
  }

 private:
  const std::vector<const v1::Order*>& orders_;
  const PackingOptions& options_;
};

class PickLayout : BatchLayout {
 public:
  PickLayout(cairo_t* cr, PangoContext* pango, bool draw, int page_count,
             const std::vector<v1::Order>& orders, const PackingOptions& options)
      : BatchLayout(cr, pango, draw, page_count), orders_(orders), options_(options) {}

  int Render() {
    const std::vector<PickRow> rows = PickList(orders_);
    int64_t units = 0;
    for (const PickRow& r : rows) units += r.quantity;
    BeginPage("Pick list");
    Header("Pick list", options_.store_name, absl::StrCat(orders_.size(), " orders"),
           absl::StrCat(units, " units, ", rows.size(), " skus"));
    const std::vector<Column> columns =
        Fit({{"SKU", 110}, {"Item", 0}, {"Qty", 40, true}, {"Orders", 150}});
    TableHeader(columns);
    for (const PickRow& r : rows) {
      Row(columns, {r.sku, r.name, absl::StrCat(r.quantity), absl::StrJoin(r.order_numbers, " ")},
          {{.size = 9}, {.size = 9}, {.size = 11, .bold = true}, {.size = 7.5, .color = kMuted}},
          "Pick list (continued)");
    }
    EndPage();
    return page_;
  }

 private:
  const std::vector<v1::Order>& orders_;
  const PackingOptions& options_;
};

}  // namespace

std::vector<PackLine> LinesToPack(const v1::Order& order) {
  std::vector<PackLine> out;
  for (const v1::OrderItem& item : order.items()) {
    const int64_t quantity = item.quantity() - std::min(item.refunded_quantity(), item.quantity());
    if (quantity <= 0) continue;
    out.push_back({item.sku(), item.name(), quantity, &item});
  }
  return out;
}

std::vector<const v1::Order*> PackingOrder(const std::vector<v1::Order>& orders,
                                           v1::PackingSlipSort sort) {
  std::vector<const v1::Order*> out = Pointers(orders);
  auto first_sku = [](const v1::Order* o) {
    std::vector<PackLine> lines = LinesToPack(*o);
    std::string sku = lines.empty() ? "" : lines.front().sku;
    for (const PackLine& l : lines) sku = std::min(sku, l.sku);
    return sku;
  };
  if (sort == v1::PACKING_SLIP_SORT_SKU) {
    std::vector<std::pair<std::string, const v1::Order*>> keyed;
    for (const v1::Order* o : out) keyed.emplace_back(first_sku(o), o);
    std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : a.second->number() < b.second->number();
    });
    for (size_t i = 0; i < keyed.size(); ++i) out[i] = keyed[i].second;
  } else {
    std::sort(out.begin(), out.end(),
              [](const v1::Order* a, const v1::Order* b) { return a->number() < b->number(); });
  }
  return out;
}

std::vector<PickRow> PickList(const std::vector<v1::Order>& orders) {
  std::map<std::string, PickRow> rows;
  std::vector<const v1::Order*> sorted = PackingOrder(orders, v1::PACKING_SLIP_SORT_ORDER_NUMBER);
  for (const v1::Order* o : sorted) {
    for (const PackLine& line : LinesToPack(*o)) {
      PickRow& row = rows[line.sku];
      if (row.sku.empty()) {
        row.sku = line.sku;
        row.name = line.name;
      }
      row.quantity += line.quantity;
      if (row.order_numbers.empty() || row.order_numbers.back() != o->number()) {
        row.order_numbers.push_back(o->number());
      }
    }
  }
  std::vector<PickRow> out;
  for (auto& [sku, row] : rows) out.push_back(std::move(row));
  return out;
}

std::string RenderPackingSlipsHtml(const std::vector<const v1::Order*>& orders,
                                   const PackingOptions& options) {
  std::string out = HtmlHead("Packing slips");
  for (const v1::Order* o : orders) {
    absl::StrAppend(&out, "<main class=\"doc\">\n<header>\n<div><h1>Packing slip</h1>");
    if (!options.store_name.empty()) {
      absl::StrAppend(&out, "<p class=\"store\">", HtmlEscape(options.store_name), "</p>");
    }
    absl::StrAppend(&out, "</div>\n<div class=\"id\"><p class=\"number\">Order #", o->number(),
                    "</p><p>Placed ", Date(o->create_time(), options.zone), "</p></div>\n",
                    "</header>\n<section class=\"blocks\">\n<div><h2>Ship to</h2><p dir=\"auto\">",
                    HtmlEscape(absl::StrJoin(AddressLines(*o), "\n")),
                    "</p></div>\n<div><h2>Delivery</h2><p><strong>", HtmlEscape(DeliveryName(*o)),
                    "</strong></p></div>\n</section>\n<table>\n<thead><tr><th>SKU</th><th>Item</th>"
                    "<th class=\"num\">Qty</th>");
    if (options.show_prices) {
      absl::StrAppend(&out, "<th class=\"num\">Unit price</th><th class=\"num\">Total</th>");
    }
    absl::StrAppend(&out, "</tr></thead>\n<tbody>\n");
    for (const PackLine& line : LinesToPack(*o)) {
      absl::StrAppend(&out, "<tr><td>", HtmlEscape(line.sku), "</td><td dir=\"auto\">",
                      HtmlEscape(line.name), "</td><td class=\"num qty\">", line.quantity, "</td>");
      if (options.show_prices) {
        common::v1::Money total = line.item->unit_price();
        total.set_amount_minor(total.amount_minor() * line.quantity);
        absl::StrAppend(&out, "<td class=\"num\">",
                        HtmlEscape(Price(line.item->unit_price(), o->currency_code())),
                        "</td><td class=\"num\">", HtmlEscape(Price(total, o->currency_code())),
                        "</td>");
      }
      absl::StrAppend(&out, "</tr>\n");
    }
    absl::StrAppend(&out, "</tbody>\n</table>\n");
    if (!o->customer_note().empty()) {
      absl::StrAppend(&out, "<p class=\"note\" dir=\"auto\">Note from the customer: ",
                      HtmlEscape(o->customer_note()), "</p>\n");
    }
    absl::StrAppend(&out, "</main>\n");
  }
  absl::StrAppend(&out, "</body>\n</html>\n");
  return out;
}

absl::StatusOr<std::string> RenderPackingSlipsPdf(const std::vector<const v1::Order*>& orders,
                                                  const PackingOptions& options) {
  render::PdfMetadata metadata;
  metadata.title = orders.size() == 1 ? absl::StrCat("Packing slip ", orders[0]->number())
                                      : absl::StrCat("Packing slips (", orders.size(), ")");
  metadata.author = options.store_name;
  metadata.create_time = NewestUpdate(orders);
  return render::RenderA4Pdf("packing slip", metadata,
                             [&](cairo_t* cr, PangoContext* pango, bool draw, int pages) {
                               return SlipsLayout(cr, pango, draw, pages, orders, options).Render();
                             });
}

std::string RenderPickListHtml(const std::vector<v1::Order>& orders,
                               const PackingOptions& options) {
  const std::vector<PickRow> rows = PickList(orders);
  int64_t units = 0;
  for (const PickRow& r : rows) units += r.quantity;
  std::string out = HtmlHead("Pick list");
  absl::StrAppend(&out, "<main class=\"doc\">\n<header>\n<div><h1>Pick list</h1>");
  if (!options.store_name.empty()) {
    absl::StrAppend(&out, "<p class=\"store\">", HtmlEscape(options.store_name), "</p>");
  }
  absl::StrAppend(&out, "</div>\n<div class=\"id\"><p class=\"number\">", orders.size(),
                  " orders</p><p>", units, " units, ", rows.size(),
                  " skus</p></div>\n</header>\n<table>\n<thead><tr><th>SKU</th><th>Item</th>"
                  "<th class=\"num\">Qty</th><th>Orders</th></tr></thead>\n<tbody>\n");
  for (const PickRow& r : rows) {
    absl::StrAppend(&out, "<tr><td>", HtmlEscape(r.sku), "</td><td dir=\"auto\">",
                    HtmlEscape(r.name), "</td><td class=\"num qty\">", r.quantity,
                    "</td><td class=\"orders\">", absl::StrJoin(r.order_numbers, " "),
                    "</td></tr>\n");
  }
  absl::StrAppend(&out, "</tbody>\n</table>\n</main>\n</body>\n</html>\n");
  return out;
}

absl::StatusOr<std::string> RenderPickListPdf(const std::vector<v1::Order>& orders,
                                              const PackingOptions& options) {
  render::PdfMetadata metadata;
  metadata.title = "Pick list";
  metadata.author = options.store_name;
  metadata.create_time = NewestUpdate(Pointers(orders));
  return render::RenderA4Pdf("pick list", metadata,
                             [&](cairo_t* cr, PangoContext* pango, bool draw, int pages) {
                               return PickLayout(cr, pango, draw, pages, orders, options).Render();
                             });
}

}  // namespace store::order

// A4 documents drawn page by page (invoices and credit notes, packing slips,
// pick lists): the PDF surface with its metadata, the page geometry, and a
// layout base whose drawing calls do nothing on a first, measuring pass, so
// a document can count its pages ("Page 1 of 3") before it draws them.
// Same input, same bytes (no clock: the creation date is the caller's).
#ifndef STORE_LIBS_RENDER_PAGE_H_
#define STORE_LIBS_RENDER_PAGE_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/render/canvas.h"

namespace store::render {

// A4 in PostScript points (the unit of a Cairo PDF surface).
inline constexpr double kA4Width = 595.276;
inline constexpr double kA4Height = 841.890;
inline constexpr double kPageMargin = 42.52;  // 15 mm
inline constexpr double kPageContentWidth = kA4Width - 2 * kPageMargin;

struct PdfMetadata {
  std::string title;
  std::string subject;
  std::string author;
  // The document's own date (an issue time), never "now".
  std::optional<absl::Time> create_time;
};

// Lays a document out on A4 pages: `layout(cr, pango, draw, page_count)`
// is run once with draw false (it returns the number of pages) and once
// with draw true and that count. INTERNAL on a Cairo failure (`what` names
// the document).
absl::StatusOr<std::string> RenderA4Pdf(
    absl::string_view what, const PdfMetadata& metadata,
    const std::function<int(cairo_t* cr, PangoContext* pango, bool draw, int page_count)>& layout);

// The drawing primitives of a page layout; each draws only on the drawing
// pass and returns the same measures on both.
class PageLayout {
 protected:
  PageLayout(cairo_t* cr, PangoContext* pango, bool draw) : cr_(cr), pango_(pango), draw_(draw) {}

  LayoutPtr Text(absl::string_view text, const TextStyle& style, double width) const {
    return TextLayout(pango_, text, style, width);
  }
  static double Height(PangoLayout* layout) { return LayoutHeight(layout); }
  static double Width(PangoLayout* layout) { return LayoutWidth(layout); }
  void Show(PangoLayout* layout, const Rgb& color, double x, double y) {
    if (draw_) ShowLayout(cr_, layout, color, x, y);
  }
  // Draws `text` in a box of `width` at (x, y) when `paint`; returns its
  // height (0 for no text).
  double Put(absl::string_view text, const TextStyle& style, double x, double y, double width,
             bool paint);
  // A horizontal rule across the content width at `y`.
  void Rule(double y, double line_width, const Rgb& color);
  void Fill(double x, double y, double width, double height, const Rgb& color);
  void ShowPage() {
    if (draw_) cairo_show_page(cr_);
  }

  cairo_t* const cr_;
  PangoContext* const pango_;
  const bool draw_;
};

}  // namespace store::render

#endif  // STORE_LIBS_RENDER_PAGE_H_

#include "libs/render/page.h"

#include <cairo-pdf.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace store::render {

absl::StatusOr<std::string> RenderA4Pdf(
    absl::string_view what, const PdfMetadata& metadata,
    const std::function<int(cairo_t* cr, PangoContext* pango, bool draw, int page_count)>& layout) {
  const std::string context = absl::StrCat("rendering the ", what, " PDF");
  std::string pdf;
  SurfacePtr surface(
      cairo_pdf_surface_create_for_stream(&AppendToString, &pdf, kA4Width, kA4Height));
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return CairoError(context, cairo_surface_status(surface.get()));
  }
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, metadata.title.c_str());
  if (!metadata.subject.empty()) {
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_SUBJECT,
                                   metadata.subject.c_str());
  }
  if (!metadata.author.empty()) {
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_AUTHOR,
                                   metadata.author.c_str());
  }
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "store-backend");
  if (metadata.create_time.has_value()) {
    const std::string date =
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", *metadata.create_time, absl::UTCTimeZone());
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATE_DATE, date.c_str());
  }
  CairoPtr cr(cairo_create(surface.get()));
  if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS) {
    return CairoError(context, cairo_status(cr.get()));
  }
  // One Pango context for the whole document.
  ContextPtr pango = TextContext(cr.get());
  const int pages = layout(cr.get(), pango.get(), /*draw=*/false, 0);
  layout(cr.get(), pango.get(), /*draw=*/true, pages);
  if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS) {
    return CairoError(context, cairo_status(cr.get()));
  }
  cr.reset();
  cairo_surface_finish(surface.get());
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return CairoError(context, cairo_surface_status(surface.get()));
  }
  surface.reset();
  return pdf;
}

double PageLayout::Put(absl::string_view text, const TextStyle& style, double x, double y,
                       double width, bool paint) {
  if (text.empty()) return 0;
  LayoutPtr layout = Text(text, style, width);
  if (paint) Show(layout.get(), style.color, x, y);
  return Height(layout.get());
}

void PageLayout::Rule(double y, double line_width, const Rgb& color) {
  if (!draw_) return;
  cairo_set_source_rgb(cr_, color.r, color.g, color.b);
  cairo_set_line_width(cr_, line_width);
  cairo_move_to(cr_, kPageMargin, y);
  cairo_line_to(cr_, kPageMargin + kPageContentWidth, y);
  cairo_stroke(cr_);
}

void PageLayout::Fill(double x, double y, double width, double height, const Rgb& color) {
  if (!draw_) return;
  cairo_set_source_rgb(cr_, color.r, color.g, color.b);
  cairo_rectangle(cr_, x, y, width, height);
  cairo_fill(cr_);
}

}  // namespace store::render

#include "libs/render/canvas.h"

#include "absl/strings/str_cat.h"

namespace store::render {
namespace {

struct FontDescriptionFree {
  void operator()(PangoFontDescription* font) const { pango_font_description_free(font); }
};

}  // namespace

cairo_status_t AppendToString(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

absl::Status CairoError(absl::string_view what, cairo_status_t status) {
  return absl::InternalError(absl::StrCat(what, ": ", cairo_status_to_string(status)));
}

ContextPtr TextContext(cairo_t* cr) {
  ContextPtr context(pango_cairo_create_context(cr));
  pango_cairo_context_set_resolution(context.get(), 72);
  cairo_font_options_t* options = cairo_font_options_create();
  cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  pango_cairo_context_set_font_options(context.get(), options);
  cairo_font_options_destroy(options);
  return context;
}

LayoutPtr TextLayout(PangoContext* context, absl::string_view text, const TextStyle& style,
                     double width) {
  LayoutPtr layout(pango_layout_new(context));
  std::unique_ptr<PangoFontDescription, FontDescriptionFree> font(pango_font_description_new());
  pango_font_description_set_family(font.get(), kFontFamily);
  pango_font_description_set_weight(font.get(),
                                    style.bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_font_description_set_size(font.get(), static_cast<gint>(style.size * PANGO_SCALE));
  pango_layout_set_font_description(layout.get(), font.get());
  pango_layout_set_text(layout.get(), text.data(), static_cast<int>(text.size()));
  pango_layout_set_width(layout.get(), pango_units_from_double(width));
  pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
  if (style.max_lines > 0) {
    pango_layout_set_height(layout.get(), -style.max_lines);
    pango_layout_set_ellipsize(layout.get(), PANGO_ELLIPSIZE_END);
  }
  // Pango mirrors left and right for a right-to-left paragraph: undo that so
  // the alignment stays visual.
  PangoAlignment align = style.align;
  PangoLayoutLine* first = pango_layout_get_line_readonly(layout.get(), 0);
  if (align != PANGO_ALIGN_CENTER && first != nullptr &&
      first->resolved_dir == PANGO_DIRECTION_RTL) {
    align = align == PANGO_ALIGN_LEFT ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT;
  }
  pango_layout_set_alignment(layout.get(), align);
  return layout;
}

double LayoutHeight(PangoLayout* layout) {
  int width = 0;
  int height = 0;
  pango_layout_get_size(layout, &width, &height);
  return pango_units_to_double(height);
}

double LayoutWidth(PangoLayout* layout) {
  PangoRectangle logical;
  pango_layout_get_extents(layout, nullptr, &logical);
  return pango_units_to_double(logical.width);
}

void ShowLayout(cairo_t* cr, PangoLayout* layout, const Rgb& color, double x, double y) {
  cairo_set_source_rgb(cr, color.r, color.g, color.b);
  cairo_move_to(cr, x, y);
  pango_cairo_show_layout(cr, layout);
}

}  // namespace store::render

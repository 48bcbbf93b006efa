// The one home of drawing with Cairo and Pango (invoices and credit notes,
// report charts; packing slips next): owning pointers, the text context
// every document uses, text layout that handles right-to-left scripts, and
// rendering into a string. Same input, same bytes: no hinting, fixed
// resolution, no clock.
//
// Debian packages: libcairo2-dev libpango1.0-dev fonts-dejavu-core.
#ifndef STORE_LIBS_RENDER_CANVAS_H_
#define STORE_LIBS_RENDER_CANVAS_H_

#include <cairo.h>
#include <glib-object.h>
#include <pango/pangocairo.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace store::render {

inline constexpr char kFontFamily[] = "DejaVu Sans";

struct Rgb {
  double r, g, b;
};
inline constexpr Rgb kInk{0.13, 0.13, 0.13};
inline constexpr Rgb kMuted{0.40, 0.40, 0.40};
inline constexpr Rgb kRule{0.80, 0.80, 0.80};

struct TextStyle {
  double size = 9;  // in surface units (points on a PDF, pixels on an image)
  bool bold = false;
  Rgb color = kInk;
  // Visual alignment, whatever the direction of the text.
  PangoAlignment align = PANGO_ALIGN_LEFT;
  // Longer text is cut with an ellipsis; 0 for no limit.
  int max_lines = 0;
};

struct GObjectUnref {
  void operator()(gpointer object) const { g_object_unref(object); }
};
struct SurfaceDestroy {
  void operator()(cairo_surface_t* surface) const { cairo_surface_destroy(surface); }
};
struct CairoDestroy {
  void operator()(cairo_t* cr) const { cairo_destroy(cr); }
};
using LayoutPtr = std::unique_ptr<PangoLayout, GObjectUnref>;
using ContextPtr = std::unique_ptr<PangoContext, GObjectUnref>;
using SurfacePtr = std::unique_ptr<cairo_surface_t, SurfaceDestroy>;
using CairoPtr = std::unique_ptr<cairo_t, CairoDestroy>;

// A cairo_write_func_t appending to the std::string `closure`.
cairo_status_t AppendToString(void* closure, const unsigned char* data, unsigned int length);

// INTERNAL "<what>: <cairo's message>".
absl::Status CairoError(absl::string_view what, cairo_status_t status);

// The Pango context for drawing on `cr`: one surface unit per point at 72
// dpi (a 9-unit font is 9 units high), no hinting, so the output does not
// depend on the machine.
ContextPtr TextContext(cairo_t* cr);

// `text` laid out in a box `width` wide. Each paragraph takes the direction
// of its text (like dir="auto"); the alignment stays visual, so an Arabic
// name lines up with the rest of its block.
LayoutPtr TextLayout(PangoContext* context, absl::string_view text, const TextStyle& style,
                     double width);
double LayoutHeight(PangoLayout* layout);
// Width of the widest line.
double LayoutWidth(PangoLayout* layout);
// Draws `layout` with its top-left corner at (x, y).
void ShowLayout(cairo_t* cr, PangoLayout* layout, const Rgb& color, double x, double y);

}  // namespace store::render

#endif  // STORE_LIBS_RENDER_CANVAS_H_

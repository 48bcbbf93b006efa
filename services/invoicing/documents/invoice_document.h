// Printable documents of the invoicing service (INV-07): an invoice or a
// credit note rendered as a self-contained HTML page and as an A4 PDF.
// The PDF is laid out with Pango on a Cairo PDF surface (fonts through
// fontconfig, "DejaVu Sans" from fonts-dejavu-core), so Arabic, Cyrillic and
// accented text is shaped and embedded as real glyphs.
#ifndef STORE_SERVICES_INVOICING_DOCUMENTS_INVOICE_DOCUMENT_H_
#define STORE_SERVICES_INVOICING_DOCUMENTS_INVOICE_DOCUMENT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/invoicing/v1/invoice.pb.h"

namespace store::invoicing {

// Escapes & < > " ' for HTML text and attribute values. Invalid UTF-8 is
// replaced by U+FFFD, so the result is always valid UTF-8.
std::string HtmlEscape(absl::string_view text);

// A tax rate in basis points as printed: 2000 -> "20%", 550 -> "5.5%",
// 725 -> "7.25%".
std::string FormatTaxRate(int32_t basis_points);

// A complete printable HTML5 page (inline CSS, A4 print styles) showing the
// whole document; `footer` is printed at the bottom. Every value is escaped.
std::string RenderInvoiceHtml(const v1::Invoice& invoice, absl::string_view footer);

// The same document as an A4 PDF (PDF title = the document number). Long
// line tables continue on the following pages under a repeated table header.
// Cairo failures are INTERNAL.
absl::StatusOr<std::string> RenderInvoicePdf(const v1::Invoice& invoice, absl::string_view footer);

}  // namespace store::invoicing

#endif  // STORE_SERVICES_INVOICING_DOCUMENTS_INVOICE_DOCUMENT_H_

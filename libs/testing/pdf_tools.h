// Looking at a rendered PDF in tests with poppler-utils (pdftotext, pdfinfo,
// pdffonts; in tools/dev's package list). Failures are gtest failures.
#ifndef STORE_LIBS_TESTING_PDF_TOOLS_H_
#define STORE_LIBS_TESTING_PDF_TOOLS_H_

#include <string>

namespace store::testing {

// Whether `tool` is on the PATH.
bool HaveTool(const std::string& tool);
// The PDF's text, laid out (pdftotext -layout), UTF-8.
std::string PdfText(const std::string& pdf);
// What `tool` (pdfinfo, pdffonts) prints about the PDF.
std::string PdfInfo(const std::string& pdf, const std::string& tool = "pdfinfo");
// The "Pages:" count of a pdfinfo output; -1 when absent.
int PdfPages(const std::string& info);

}  // namespace store::testing

#endif  // STORE_LIBS_TESTING_PDF_TOOLS_H_

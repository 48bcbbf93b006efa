// Writing CSV (RFC 4180) for exports.
#ifndef STORE_LIBS_CORE_CSV_H_
#define STORE_LIBS_CORE_CSV_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace store {

// One CSV field: quoted when it holds a comma, quote, CR or LF; a field
// starting with = + - @ (or a tab or CR) gets a leading apostrophe so a
// spreadsheet does not run it as a formula (CSV injection).
std::string CsvField(absl::string_view value);

// A record: the fields joined with commas, ending in CRLF.
std::string CsvRecord(const std::vector<std::string>& fields);

}  // namespace store

#endif  // STORE_LIBS_CORE_CSV_H_

#include "libs/testing/pdf_tools.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"

namespace store::testing {
namespace {

// Writes `contents` to a fresh file under the test temp dir.
std::string WriteTemp(const std::string& contents, const std::string& suffix) {
  std::string path = ::testing::TempDir() + "pdf_XXXXXX" + suffix;
  const int fd = mkstemps(path.data(), static_cast<int>(suffix.size()));
  EXPECT_GE(fd, 0) << path;
  if (fd < 0) return path;
  close(fd);
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

// Output of a shell command; fails the test when it exits non-zero.
std::string Run(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "popen failed: " << command;
    return out;
  }
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  const int status = pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << command;
  return out;
}

}  // namespace

bool HaveTool(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

std::string PdfText(const std::string& pdf) {
  const std::string path = WriteTemp(pdf, ".pdf");
  std::string text = Run("pdftotext -layout -enc UTF-8 '" + path + "' -");
  std::remove(path.c_str());
  return text;
}

std::string PdfInfo(const std::string& pdf, const std::string& tool) {
  const std::string path = WriteTemp(pdf, ".pdf");
  std::string info = Run(tool + " '" + path + "'");
  std::remove(path.c_str());
  return info;
}

int PdfPages(const std::string& info) {
  for (absl::string_view line : absl::StrSplit(info, '\n')) {
    if (absl::ConsumePrefix(&line, "Pages:")) {
      int pages = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &pages)) return pages;
    }
  }
  return -1;
}

}  // namespace store::testing

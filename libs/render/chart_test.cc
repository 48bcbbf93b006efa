#include "libs/render/chart.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace store::render {
namespace {

LineChart Sample(ChartFormat format) {
  LineChart chart;
  chart.title = "Net sales — März";
  chart.labels = {"2026-03-01", "2026-03-02", "2026-03-03"};
  chart.series = {{"This period", {1250, -300, 4000}, false}, {"Last year", {800, 900}, true}};
  chart.format_value = [](int64_t v) { return absl::StrCat(v / 100, ".", std::abs(v % 100)); };
  chart.format = format;
  return chart;
}

TEST(ChartTest, SvgIsAnSvgDocumentAndTheSameEveryTime) {
  absl::StatusOr<std::string> svg = RenderLineChart(Sample(ChartFormat::kSvg));
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_TRUE(absl::StrContains(*svg, "<svg")) << svg->substr(0, 200);
  EXPECT_TRUE(absl::StrContains(*svg, "viewBox=\"0 0 800 400\""));
  EXPECT_EQ(*svg, *RenderLineChart(Sample(ChartFormat::kSvg)));
}

TEST(ChartTest, PngHasTheSignatureAndTheSize) {
  LineChart chart = Sample(ChartFormat::kPng);
  chart.width = 640;
  chart.height = 320;
  absl::StatusOr<std::string> png = RenderLineChart(chart);
  ASSERT_TRUE(png.ok()) << png.status();
  ASSERT_GT(png->size(), 24u);
  EXPECT_EQ(png->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  // IHDR: big-endian width and height at offsets 16 and 20.
  auto be32 = [&](size_t at) {
    return (static_cast<uint8_t>((*png)[at]) << 24) | (static_cast<uint8_t>((*png)[at + 1]) << 16) |
           (static_cast<uint8_t>((*png)[at + 2]) << 8) | static_cast<uint8_t>((*png)[at + 3]);
  };
  EXPECT_EQ(be32(16), 640u);
  EXPECT_EQ(be32(20), 320u);
  EXPECT_EQ(*png, *RenderLineChart(chart));
}

TEST(ChartTest, EmptyAndFlatSeriesStillDraw) {
  LineChart chart = Sample(ChartFormat::kPng);
  chart.series = {{"Nothing", {0, 0, 0}, false}};
  EXPECT_TRUE(RenderLineChart(chart).ok());
  chart.labels = {"2026-03-01"};
  chart.series = {{"One point", {5}, false}};
  EXPECT_TRUE(RenderLineChart(chart).ok());
}

TEST(ChartTest, SizesOutsideTheRangeAreRefused) {
  LineChart chart = Sample(ChartFormat::kSvg);
  chart.width = 100;
  EXPECT_EQ(RenderLineChart(chart).status().message(), "width: must be 200..4000 pixels");
  chart.width = 800;
  chart.height = 5000;
  EXPECT_EQ(RenderLineChart(chart).status().message(), "height: must be 200..4000 pixels");
}

}  // namespace
}  // namespace store::render

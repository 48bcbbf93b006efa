#include "libs/core/trace.h"

#include "gtest/gtest.h"

namespace store {
namespace {

TEST(TraceTest, ParsesAndFormatsTraceparent) {
  const char* header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  std::optional<TraceContext> t = ParseTraceparent(header);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(t->Traceparent(), header);
  EXPECT_FALSE(ParseTraceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(ParseTraceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  EXPECT_FALSE(ParseTraceparent("garbage"));
}

TEST(TraceTest, ScopedTraceRestoresThePrevious) {
  EXPECT_TRUE(CurrentTrace().trace_id.empty());
  {
    ScopedTrace scope(NewTrace());
    EXPECT_EQ(CurrentTrace().trace_id.size(), 32u);
    TraceContext child = ChildSpan(CurrentTrace());
    EXPECT_EQ(child.trace_id, CurrentTrace().trace_id);
    EXPECT_NE(child.span_id, CurrentTrace().span_id);
  }
  EXPECT_TRUE(CurrentTrace().trace_id.empty());
}

}  // namespace
}  // namespace store

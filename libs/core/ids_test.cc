#include "libs/core/ids.h"

#include <set>

#include "gtest/gtest.h"

namespace store {
namespace {

TEST(IdsTest, NewUuidIsACanonicalVersion4Uuid) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    const std::string id = NewUuid();
    ASSERT_TRUE(IsUuid(id)) << id;
    EXPECT_EQ(id[14], '4') << id;  // version
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b') << id;  // variant
    EXPECT_TRUE(seen.insert(id).second);
  }
}

TEST(IdsTest, IsUuidRejectsOtherShapes) {
  EXPECT_TRUE(IsUuid("7D3C8A5E-0F5E-4C8E-9A51-7B1E8F2F2A10"));
  EXPECT_FALSE(IsUuid("7d3c8a5e0f5e4c8e9a517b1e8f2f2a10"));
  EXPECT_FALSE(IsUuid("7d3c8a5e-0f5e-4c8e-9a51-7b1e8f2f2a1g"));
  EXPECT_FALSE(IsUuid("'; DROP TABLE orders; --"));
}

}  // namespace
}  // namespace store

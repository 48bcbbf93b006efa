#include "libs/config/env_config.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace store {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

EnvConfig FromMap(const std::map<std::string, std::string>& env) {
  return EnvConfig([env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

TEST(EnvConfigTest, ListsEveryProblemAtOnce) {
  EnvConfig env = FromMap({{"DB_POOL_SIZE", "zero"}, {"GRPC_LISTEN", "nowhere"}});
  env.Required("DATABASE_URL", "libpq URL");
  env.Required("KAFKA_BROKERS", "bootstrap servers");
  env.Int("DB_POOL_SIZE", 8, 1, 64);
  env.ListenAddress("GRPC_LISTEN", "127.0.0.1:50051");
  absl::Status s = env.Check();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), AllOf(HasSubstr("DATABASE_URL is not set"),
                                 HasSubstr("KAFKA_BROKERS is not set"),
                                 HasSubstr("DB_POOL_SIZE=zero"), HasSubstr("GRPC_LISTEN=nowhere")));
}

TEST(EnvConfigTest, ReadsTypedValuesAndDefaults) {
  EnvConfig env = FromMap({{"DATABASE_URL", "postgresql://x"}, {"FLAG", "yes"},
                           {"WAIT", "250ms"}});
  EXPECT_EQ(env.Required("DATABASE_URL", ""), "postgresql://x");
  EXPECT_TRUE(env.Bool("FLAG", false));
  EXPECT_EQ(env.Duration("WAIT", absl::Seconds(1)), absl::Milliseconds(250));
  EXPECT_EQ(env.Int("MISSING", 7, 1, 10), 7);
  EXPECT_TRUE(env.Check().ok());
}

}  // namespace
}  // namespace store

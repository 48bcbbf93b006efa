// CUS-08 / CUS-17: saved segments and their rules, checked against
// hand-computed expectations on a generated data set; segment CRUD and rule
// errors; live membership from order events and time passing.
//
// The data set is written straight into the customers table (purchase facts
// normally come from order events): deterministic pseudo-random customers
// plus boundary cases relative to the fixture's fake now, 1795000000 =
// 2026-11-18T11:06:40Z. Every expectation is computed in C++ from the
// generated rows, never by SQL.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/events/envelope.h"
#include "libs/grpcx/status.h"
#include "store/customer/v1/events.pb.h"
#include "store/order/v1/events.pb.h"
#include "tests/integration/customer/customer_fixture.h"

namespace store::customer {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::UnorderedElementsAreArray;

constexpr char kDefaultGroup[] = "00000000-0000-4000-8000-000000000001";
constexpr char kGuestsGroup[] = "00000000-0000-4000-8000-000000000002";

absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

// The fixture's now and the instants the rules below resolve to, worked out
// by hand (not with the rule compiler's calendar code).
const absl::Time kNow = Utc(2026, 11, 18, 11, 6, 40);
const absl::Time k30DaysAgo = Utc(2026, 10, 19, 11, 6, 40);
const absl::Time k6MonthsAgo = Utc(2026, 5, 18, 11, 6, 40);
const absl::Time k2DaysAgoDay = Utc(2026, 11, 16);  // `on 2 days ago`: [this, +1 day)
const absl::Time kJan2 = Utc(2026, 1, 2);           // `created_at after 2026-01-01`

// One generated customer, as written to the table.
struct Cust {
  std::string id, email, name, country;
  std::string group_id;  // empty = NULL
  bool tax_exempt = false, accepts_marketing = false, email_verified = false;
  bool erased = false;
  int state = 2;
  int64_t orders_count = 0, total_spent = 0, wallet_balance = 0;
  std::optional<absl::Time> first_order, last_order;
  absl::Time created;
  std::optional<std::string> shoe_size, tier;
  std::optional<absl::CivilDay> birthday;
};

std::string Quote(const std::string& s) {
  return absl::StrCat("'", absl::StrReplaceAll(s, {{"'", "''"}}), "'");
}

std::string Pg(absl::Time t) {
  return Quote(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone()));
}

std::string Pg(const std::optional<absl::Time>& t) { return t ? Pg(*t) : "NULL"; }

std::string Lower(const std::string& s) { return absl::AsciiStrToLower(s); }

class SegmentTest : public CustomerFixture {
 protected:
  void SetUp() override {
    CustomerFixture::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_EQ(clock_.Now(), kNow) << "the expectations below assume the fixture's now";
  }

  std::string CreateGroup(const std::string& name) {
    v1::CreateGroupRequest req;
    req.set_name(name);
    v1::CustomerGroup out;
    grpc::Status s = stub_->CreateGroup(Ctx().get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    group_names_[out.id()] = name;
    return out.id();
  }

  void DefineField(const std::string& key, v1::CustomFieldType type,
                   std::vector<std::string> choices = {}) {
    v1::DefineCustomFieldRequest req;
    req.mutable_field()->set_key(key);
    req.mutable_field()->set_label(key);
    req.mutable_field()->set_type(type);
    for (auto& c : choices) req.mutable_field()->add_choices(c);
    v1::CustomField out;
    grpc::Status s = stub_->DefineCustomField(Ctx().get(), req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // Generates the data set (deterministically) and writes it.
  void Generate(int n) {
    group_names_[kDefaultGroup] = "Default";
    group_names_[kGuestsGroup] = "Guests";
    const std::string vip = CreateGroup("VIP");
    const std::string wholesale = CreateGroup("Wholesale");
    DefineField("shoe_size", v1::CUSTOM_FIELD_TYPE_NUMBER);
    DefineField("tier", v1::CUSTOM_FIELD_TYPE_CHOICE, {"gold", "silver", "bronze"});
    DefineField("birthday", v1::CUSTOM_FIELD_TYPE_DATE);
    const std::vector<std::string> groups = {"", kDefaultGroup, kGuestsGroup, vip, wholesale};
    const std::vector<std::string> countries = {"DE", "AT", "US", "FR", "GB", ""};
    const std::vector<std::string> names = {"Ann Smith", "Bob Jones", "Carla SMITHERS",
                                            "Dan Blacksmith", "Eve Miller", "Frank Brown",
                                            "Gina Lopez", "Hugo Schmidt"};
    const std::vector<std::string> tiers = {"gold", "silver", "bronze"};
    const std::vector<std::string> sizes = {"38", "41.5", "42", "42.0", "44", "46"};
    std::mt19937_64 rng(20261118);
    auto pick = [&rng](uint64_t n) { return rng() % n; };
    constexpr int64_t kDayMicros = int64_t{86400} * 1000000;
    for (int i = 0; i < n; ++i) {
      Cust c;
      c.name = absl::StrCat(names[pick(names.size())], " ", i);
      c.country = countries[pick(countries.size())];
      c.group_id = groups[pick(groups.size())];
      c.tax_exempt = pick(4) == 0;
      c.accepts_marketing = pick(3) == 0;
      c.email_verified = pick(2) == 0;
      c.state = pick(10) == 0 ? 3 : 2;
      c.erased = pick(100) == 0;
      c.orders_count = pick(5) == 0 ? 0 : 1 + static_cast<int64_t>(pick(6));
      if (c.orders_count > 0) {
        switch (pick(4)) {
          case 0: c.total_spent = static_cast<int64_t>(pick(100000)); break;       // < 1000.00
          case 1: c.total_spent = 400000 + static_cast<int64_t>(pick(200001)); break;  // 4000..6000
          default: c.total_spent = static_cast<int64_t>(pick(2000000)); break;     // < 20000.00
        }
        // Last order: up to 400 days back, to the microsecond.
        c.last_order = kNow - absl::Microseconds(static_cast<int64_t>(pick(400 * kDayMicros)));
        c.first_order = c.orders_count == 1
                            ? *c.last_order
                            : *c.last_order - absl::Microseconds(static_cast<int64_t>(
                                                  pick(300 * kDayMicros)));
      }
      c.wallet_balance = pick(3) == 0 ? static_cast<int64_t>(pick(5000)) : 0;
      c.created = kNow - absl::Microseconds(static_cast<int64_t>(pick(700 * kDayMicros))) -
                  absl::Hours(24 * 30);
      if (c.first_order && *c.first_order < c.created) c.created = *c.first_order;
      if (pick(3) != 0) c.shoe_size = sizes[pick(sizes.size())];
      if (pick(2) == 0) c.tier = tiers[pick(tiers.size())];
      if (pick(2) == 0) {
        c.birthday = absl::CivilDay(1960 + static_cast<int>(pick(50)), 1 + pick(12), 1 + pick(28));
      }
      customers_.push_back(std::move(c));
    }
    // Boundary customers.
    auto boundary = [&](const std::string& name, std::function<void(Cust&)> set) {
      Cust c;
      c.name = name;
      c.country = "US";
      c.created = Utc(2025, 6, 1);
      set(c);
      customers_.push_back(std::move(c));
    };
    auto ordered = [](absl::Time at, int64_t count, int64_t spent) {
      return [=](Cust& c) {
        c.orders_count = count;
        c.total_spent = spent;
        c.first_order = at;
        c.last_order = at;
      };
    };
    boundary("Spent exactly 5000", ordered(kNow - absl::Hours(24), 3, 500000));
    boundary("Spent 5000.01", ordered(kNow - absl::Hours(24), 3, 500001));
    boundary("Spent 4999.99", ordered(kNow - absl::Hours(24), 3, 499999));
    boundary("Last order exactly 30 days ago", ordered(k30DaysAgo, 1, 600000));
    boundary("Last order 30 days and 1us ago",
             ordered(k30DaysAgo - absl::Microseconds(1), 1, 600000));
    boundary("Last order 30 days ago plus 1us",
             ordered(k30DaysAgo + absl::Microseconds(1), 2, 600000));
    boundary("Last order now", ordered(kNow, 1, 100));
    boundary("Last order in the future", ordered(kNow + absl::Seconds(1), 1, 100));
    boundary("Two days ago at 23:59:59.999999",
             ordered(k2DaysAgoDay + absl::Hours(24) - absl::Microseconds(1), 1, 700000));
    boundary("Two days ago at 00:00", ordered(k2DaysAgoDay, 2, 700000));
    boundary("Three days ago at 23:59:59.999999",
             ordered(k2DaysAgoDay - absl::Microseconds(1), 1, 700000));
    boundary("One day ago at 00:00", ordered(k2DaysAgoDay + absl::Hours(24), 1, 700000));
    boundary("Six months ago minus 1s", ordered(k6MonthsAgo - absl::Seconds(1), 1, 100));
    boundary("Six months ago exactly", ordered(k6MonthsAgo, 1, 100));
    boundary("Six months ago plus 1s", ordered(k6MonthsAgo + absl::Seconds(1), 1, 100));
    boundary("Never ordered", [](Cust& c) { c.total_spent = 0; });
    boundary("Never ordered but rich (wallet)", [](Cust& c) { c.wallet_balance = 1000001; });
    boundary("x'); DROP TABLE customers; --", [](Cust& c) { c.accepts_marketing = true; });
    boundary("Created 2026-01-01 23:59:59.999999",
             [](Cust& c) { c.created = kJan2 - absl::Microseconds(1); });
    boundary("Created 2026-01-02 00:00", [](Cust& c) { c.created = kJan2; });
    boundary("Erased big spender", [](Cust& c) {
      c.erased = true;
      c.total_spent = 900000;
      c.orders_count = 4;
      c.last_order = kNow - absl::Hours(1);
      c.first_order = c.last_order;
    });
    boundary("VIP German", [&](Cust& c) {
      c.group_id = vip;
      c.country = "DE";
      c.tax_exempt = true;
    });
    for (size_t i = 0; i < customers_.size(); ++i) {
      Cust& c = customers_[i];
      c.id = absl::StrFormat("5e000000-0000-4000-8000-%012d", i);
      c.email = absl::StrFormat("c%05d@seg.example.com", i);
    }
    Write();
  }

  void Write() {
    constexpr size_t kRowsPerInsert = 500;
    for (size_t start = 0; start < customers_.size(); start += kRowsPerInsert) {
      std::vector<std::string> rows;
      for (size_t i = start; i < std::min(customers_.size(), start + kRowsPerInsert); ++i) {
        const Cust& c = customers_[i];
        std::vector<std::string> custom;
        if (c.shoe_size) custom.push_back(absl::StrCat("\"shoe_size\": \"", *c.shoe_size, "\""));
        if (c.tier) custom.push_back(absl::StrCat("\"tier\": \"", *c.tier, "\""));
        if (c.birthday) {
          custom.push_back(absl::StrFormat("\"birthday\": \"%04d-%02d-%02d\"", c.birthday->year(),
                                           c.birthday->month(), c.birthday->day()));
        }
        rows.push_back(absl::StrCat(
            "(", Quote(c.id), ", ", Quote(c.email), ", ", Quote(c.name), ", ", Quote(c.country),
            ", ", c.group_id.empty() ? "NULL" : Quote(c.group_id), ", ",
            c.tax_exempt ? "true" : "false", ", ", c.accepts_marketing ? "true" : "false", ", ",
            c.email_verified ? "true" : "false", ", ", c.state, ", ", c.orders_count, ", ",
            c.total_spent, ", ", Pg(c.first_order), ", ", Pg(c.last_order), ", ",
            c.wallet_balance, ", ", Quote(absl::StrCat("{", absl::StrJoin(custom, ", "), "}")),
            ", ", c.erased ? Pg(kNow - absl::Hours(2)) : "NULL", ", ", Pg(c.created), ", ",
            Pg(c.created), ")"));
      }
      Sql(absl::StrCat(
          "INSERT INTO customers (id, email, name, country, group_id, tax_exempt,"
          " accepts_marketing, email_verified, state, orders_count, total_spent, first_order_at,"
          " last_order_at, wallet_balance, custom, erased_at, created_at, updated_at) VALUES ",
          absl::StrJoin(rows, ", ")));
    }
  }

  std::vector<std::string> Expected(const std::function<bool(const Cust&)>& pred) const {
    std::vector<std::string> out;
    for (const Cust& c : customers_) {
      if (!c.erased && pred(c)) out.push_back(c.id);
    }
    return out;
  }

  const Cust& Named(const std::string& name) const {
    for (const Cust& c : customers_) {
      if (c.name == name) return c;
    }
    ADD_FAILURE() << "no customer " << name;
    return customers_.front();
  }

  std::string GroupName(const Cust& c) const {
    auto it = group_names_.find(c.group_id);
    return it == group_names_.end() ? "" : it->second;
  }

  grpc::Status Count(const std::string& rule, int64_t* count) {
    v1::CountSegmentMembersRequest req;
    req.set_rule(rule);
    v1::CountSegmentMembersResponse resp;
    grpc::Status s = stub_->CountSegmentMembers(Ctx().get(), req, &resp);
    *count = resp.count();
    return s;
  }

  v1::Segment CreateSegment(const std::string& name, const std::string& rule) {
    v1::CreateSegmentRequest req;
    req.mutable_segment()->set_name(name);
    req.mutable_segment()->set_rule(rule);
    v1::Segment out;
    grpc::Status s = stub_->CreateSegment(Ctx().get(), req, &out);
    EXPECT_TRUE(s.ok()) << name << ": " << s.error_message();
    return out;
  }

  // Every member over all pages of ListSegmentMembers; fails on a duplicate.
  std::vector<std::string> AllMembers(const std::string& segment_id, int page_size) {
    std::vector<std::string> ids;
    std::set<std::string> seen;
    std::string token;
    int pages = 0;
    do {
      v1::ListSegmentMembersRequest req;
      req.set_segment_id(segment_id);
      req.set_page_size(page_size);
      req.set_page_token(token);
      v1::ListSegmentMembersResponse resp;
      grpc::Status s = stub_->ListSegmentMembers(Ctx().get(), req, &resp);
      if (!s.ok()) {
        ADD_FAILURE() << s.error_message();
        break;
      }
      EXPECT_LE(resp.customers_size(), page_size);
      for (const auto& c : resp.customers()) {
        EXPECT_TRUE(seen.insert(c.id()).second) << "duplicate across pages: " << c.id();
        ids.push_back(c.id());
      }
      token = resp.next_page_token();
      if (++pages > 1000) {
        ADD_FAILURE() << "paging does not end";
        break;
      }
    } while (!token.empty());
    return ids;
  }

  // Every customer over all pages of ListCustomers with `filter`.
  std::vector<std::string> AllListed(const v1::CustomerFilter& filter, int page_size) {
    std::vector<std::string> ids;
    std::set<std::string> seen;
    std::string token;
    int pages = 0;
    do {
      v1::ListCustomersRequest req;
      *req.mutable_filter() = filter;
      req.set_page_size(page_size);
      req.set_page_token(token);
      v1::ListCustomersResponse resp;
      grpc::Status s = stub_->ListCustomers(Ctx().get(), req, &resp);
      if (!s.ok()) {
        ADD_FAILURE() << s.error_message();
        break;
      }
      for (const auto& c : resp.customers()) {
        EXPECT_TRUE(seen.insert(c.id()).second) << "duplicate across pages: " << c.id();
        ids.push_back(c.id());
      }
      token = resp.next_page_token();
      if (++pages > 1000) {
        ADD_FAILURE() << "paging does not end";
        break;
      }
    } while (!token.empty());
    return ids;
  }

  std::vector<Cust> customers_;
  std::map<std::string, std::string> group_names_;  // id -> name
};

// ---- Rules against the generated data set ----

struct Example {
  std::string rule;
  std::function<bool(const Cust&)> expected;
};

TEST_F(SegmentTest, ExamplesMatchHandComputedMembers) {
  Generate(1500);
  ASSERT_FALSE(HasFailure());
  auto within30 = [](const Cust& c) {
    return c.last_order && *c.last_order >= k30DaysAgo && *c.last_order <= kNow;
  };
  auto vip_spend = [](const Cust& c) { return c.total_spent > 500000; };
  auto on2days = [](const Cust& c) {
    return c.last_order && *c.last_order >= k2DaysAgoDay &&
           *c.last_order < k2DaysAgoDay + absl::Hours(24);
  };
  auto size = [](const Cust& c) -> std::optional<double> {
    if (!c.shoe_size) return std::nullopt;
    return std::stod(*c.shoe_size);
  };
  auto de_at = [](const Cust& c) { return c.country == "DE" || c.country == "AT"; };
  const std::vector<Example> examples = {
      // The seed examples.
      {"total_spent > 5000", vip_spend},
      {"last_order_at within 30 days", within30},
      {"last_order_at before 6 months ago",
       [](const Cust& c) { return c.last_order && *c.last_order < k6MonthsAgo; }},
      {"accepts_marketing = true", [](const Cust& c) { return c.accepts_marketing; }},
      {"accepts_marketing", [](const Cust& c) { return c.accepts_marketing; }},
      {"orders_count = 1", [](const Cust& c) { return c.orders_count == 1; }},
      {"last_order_at on 2 days ago", on2days},
      {"total_spent > 5000 and last_order_at within 30 days",
       [&](const Cust& c) { return vip_spend(c) && within30(c); }},
      {"TOTAL_SPENT > 5000 AND Last_Order_At WITHIN 30 DAYS  # VIPs buying now",
       [&](const Cust& c) { return vip_spend(c) && within30(c); }},
      {"total_spent >= 5000", [](const Cust& c) { return c.total_spent >= 500000; }},
      {"total_spent > 4999.99", [](const Cust& c) { return c.total_spent > 499999; }},
      {"total_spent <= 10.5", [](const Cust& c) { return c.total_spent <= 1050; }},
      // AND / OR / NOT and precedence.
      {"total_spent > 5000 or orders_count = 1",
       [&](const Cust& c) { return vip_spend(c) || c.orders_count == 1; }},
      {"accepts_marketing or orders_count = 1 and total_spent > 5000",
       [&](const Cust& c) {
         return c.accepts_marketing || (c.orders_count == 1 && vip_spend(c));
       }},
      {"(accepts_marketing or orders_count = 1) and total_spent > 5000",
       [&](const Cust& c) {
         return (c.accepts_marketing || c.orders_count == 1) && vip_spend(c);
       }},
      {"not last_order_at within 30 days", [&](const Cust& c) { return !within30(c); }},
      {"not (total_spent > 5000 or last_order_at on 2 days ago)",
       [&](const Cust& c) { return !(vip_spend(c) || on2days(c)); }},
      {"last_order_at is not set", [](const Cust& c) { return !c.last_order.has_value(); }},
      {"last_order_at is set and orders_count in (2, 3)",
       [](const Cust& c) {
         return c.last_order.has_value() && (c.orders_count == 2 || c.orders_count == 3);
       }},
      {"orders_count not in (0, 1)",
       [](const Cust& c) { return c.orders_count != 0 && c.orders_count != 1; }},
      {"first_order_at < 2026-01-01",
       [](const Cust& c) { return c.first_order && *c.first_order < Utc(2026, 1, 1); }},
      {"created_at after 2026-01-01", [](const Cust& c) { return c.created >= kJan2; }},
      {"last_order_at > 30 days ago",
       [](const Cust& c) { return c.last_order && *c.last_order > k30DaysAgo; }},
      {"wallet_balance > 10", [](const Cust& c) { return c.wallet_balance > 1000; }},
      // Group, country and the other built-in fields.
      {"group = \"VIP\" and (country in (\"DE\", \"AT\") or not tax_exempt)",
       [&](const Cust& c) {
         return GroupName(c) == "VIP" && (de_at(c) || !c.tax_exempt);
       }},
      {"group = \"vip\"", [&](const Cust& c) { return GroupName(c) == "VIP"; }},
      {"group != \"VIP\"", [&](const Cust& c) { return GroupName(c) != "VIP"; }},
      {"group in (\"Default\", \"wholesale\")",
       [&](const Cust& c) {
         return GroupName(c) == "Default" || GroupName(c) == "Wholesale";
       }},
      {"group is not set", [](const Cust& c) { return c.group_id.empty(); }},
      {"country = \"de\"", [](const Cust& c) { return c.country == "DE"; }},
      {"country != \"DE\"", [](const Cust& c) { return c.country != "DE"; }},
      {"country not in (\"DE\", \"AT\", \"US\")",
       [&](const Cust& c) { return !de_at(c) && c.country != "US"; }},
      {"country is not set", [](const Cust& c) { return c.country.empty(); }},
      {"tax_exempt and active", [](const Cust& c) { return c.tax_exempt && c.state == 2; }},
      {"not active or email_verified = false",
       [](const Cust& c) { return c.state != 2 || !c.email_verified; }},
      {"name contains \"SMITH\"",
       [](const Cust& c) { return absl::StrContains(Lower(c.name), "smith"); }},
      {"email = \"C00007@SEG.example.com\"",
       [](const Cust& c) { return c.email == "c00007@seg.example.com"; }},
      // Custom fields.
      {"custom.shoe_size >= 42", [&](const Cust& c) { return size(c) && *size(c) >= 42; }},
      {"not custom.shoe_size >= 42", [&](const Cust& c) { return !(size(c) && *size(c) >= 42); }},
      {"custom.shoe_size = 42", [&](const Cust& c) { return size(c) && *size(c) == 42; }},
      {"custom.shoe_size is not set", [](const Cust& c) { return !c.shoe_size.has_value(); }},
      {"custom.tier = \"GOLD\"", [](const Cust& c) { return c.tier == "gold"; }},
      {"custom.tier != \"gold\"", [](const Cust& c) { return c.tier != "gold"; }},
      {"custom.tier in (\"gold\", \"silver\") and total_spent > 5000",
       [&](const Cust& c) { return (c.tier == "gold" || c.tier == "silver") && vip_spend(c); }},
      {"custom.birthday before 1990-01-01",
       [](const Cust& c) { return c.birthday && *c.birthday < absl::CivilDay(1990, 1, 1); }},
      {"custom.birthday after 1990-06-15",
       [](const Cust& c) { return c.birthday && *c.birthday > absl::CivilDay(1990, 6, 15); }},
  };

  int i = 0;
  for (const Example& ex : examples) {
    SCOPED_TRACE(ex.rule);
    const std::vector<std::string> expected = Expected(ex.expected);
    // The data set exercises every example: some members, not everyone.
    EXPECT_GT(expected.size(), 0u);
    EXPECT_LT(expected.size(), customers_.size());
    int64_t count = -1;
    grpc::Status s = Count(ex.rule, &count);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(count, static_cast<int64_t>(expected.size()));
    // Saved, the segment lists exactly those members over every page, and
    // stores the count.
    v1::Segment seg = CreateSegment(absl::StrCat("Example ", ++i), ex.rule);
    EXPECT_EQ(seg.member_count(), static_cast<int64_t>(expected.size()));
    EXPECT_THAT(AllMembers(seg.id(), 97), UnorderedElementsAreArray(expected));
    const int64_t live = Sql(absl::StrCat("SELECT count(*) FROM segment_members WHERE segment_id = '",
                                          seg.id(), "'"))[0][0]
                             .as<int64_t>();
    EXPECT_EQ(live, static_cast<int64_t>(expected.size()));
  }

  // The boundary customers, one by one.
  auto matches = [&](const std::string& rule, const std::string& name) {
    int64_t count = -1;
    EXPECT_TRUE(Count(absl::StrCat("(", rule, ") and email = \"", Named(name).email, "\""), &count)
                    .ok());
    return count == 1;
  };
  EXPECT_FALSE(matches("total_spent > 5000", "Spent exactly 5000"));
  EXPECT_TRUE(matches("total_spent >= 5000", "Spent exactly 5000"));
  EXPECT_TRUE(matches("total_spent > 5000", "Spent 5000.01"));
  EXPECT_FALSE(matches("total_spent > 5000", "Spent 4999.99"));
  EXPECT_TRUE(matches("last_order_at within 30 days", "Last order exactly 30 days ago"));
  EXPECT_FALSE(matches("last_order_at within 30 days", "Last order 30 days and 1us ago"));
  EXPECT_TRUE(matches("last_order_at within 30 days", "Last order 30 days ago plus 1us"));
  EXPECT_TRUE(matches("last_order_at within 30 days", "Last order now"));
  EXPECT_FALSE(matches("last_order_at within 30 days", "Last order in the future"));
  EXPECT_FALSE(matches("last_order_at > 30 days ago", "Last order exactly 30 days ago"));
  EXPECT_TRUE(matches("last_order_at on 2 days ago", "Two days ago at 23:59:59.999999"));
  EXPECT_TRUE(matches("last_order_at on 2 days ago", "Two days ago at 00:00"));
  EXPECT_FALSE(matches("last_order_at on 2 days ago", "Three days ago at 23:59:59.999999"));
  EXPECT_FALSE(matches("last_order_at on 2 days ago", "One day ago at 00:00"));
  EXPECT_TRUE(matches("last_order_at before 6 months ago", "Six months ago minus 1s"));
  EXPECT_FALSE(matches("last_order_at before 6 months ago", "Six months ago exactly"));
  EXPECT_FALSE(matches("last_order_at before 6 months ago", "Six months ago plus 1s"));
  EXPECT_FALSE(matches("last_order_at before 6 months ago", "Never ordered"));
  EXPECT_FALSE(matches("last_order_at within 30 days", "Never ordered"));
  EXPECT_TRUE(matches("not last_order_at within 30 days", "Never ordered"));
  EXPECT_FALSE(matches("created_at after 2026-01-01", "Created 2026-01-01 23:59:59.999999"));
  EXPECT_TRUE(matches("created_at after 2026-01-01", "Created 2026-01-02 00:00"));
  EXPECT_TRUE(matches("group = \"VIP\" and (country in (\"DE\", \"AT\") or not tax_exempt)",
                      "VIP German"));
  int64_t erased = -1;
  ASSERT_TRUE(Count("email = \"" + Named("Erased big spender").email + "\"", &erased).ok());
  EXPECT_EQ(erased, 0) << "erased customers are in no segment";
}

TEST_F(SegmentTest, ListCustomersFiltersBySegment) {
  Generate(600);
  ASSERT_FALSE(HasFailure());
  const v1::Segment vip = CreateSegment("VIP", "total_spent > 5000 and last_order_at within 30 days");
  auto in_vip = [](const Cust& c) {
    return c.total_spent > 500000 && c.last_order && *c.last_order >= k30DaysAgo &&
           *c.last_order <= kNow;
  };
  v1::CustomerFilter filter;
  filter.set_segment_id(vip.id());
  EXPECT_THAT(AllListed(filter, 7), UnorderedElementsAreArray(Expected(in_vip)));
  // With another filter: both apply (the segment's parameters come first).
  filter.set_accepts_marketing(true);
  filter.set_country_code("us");
  EXPECT_THAT(AllListed(filter, 5), UnorderedElementsAreArray(Expected([&](const Cust& c) {
                return in_vip(c) && c.accepts_marketing && c.country == "US";
              })));

  const v1::Segment sizes = CreateSegment("Big feet", "custom.shoe_size >= 42 or group = \"VIP\"");
  v1::CustomerFilter f2;
  f2.set_segment_id(sizes.id());
  f2.mutable_total_spent()->set_min_minor(100000);
  EXPECT_THAT(AllListed(f2, 50), UnorderedElementsAreArray(Expected([&](const Cust& c) {
                const bool big = c.shoe_size && std::stod(*c.shoe_size) >= 42;
                return (big || GroupName(c) == "VIP") && c.total_spent >= 100000;
              })));

  v1::CustomerFilter unknown;
  unknown.set_segment_id("00000000-0000-4000-8000-00000000dead");
  v1::ListCustomersRequest req;
  *req.mutable_filter() = unknown;
  v1::ListCustomersResponse resp;
  EXPECT_EQ(stub_->ListCustomers(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(SegmentTest, HostileStringLiteralIsJustData) {
  Generate(50);
  ASSERT_FALSE(HasFailure());
  int64_t count = -1;
  grpc::Status s = Count("name contains \"x'); DROP TABLE customers; --\"", &count);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(count, 1);  // the customer named so, and only them
  s = Count("name = \"x'); DROP TABLE customers; --\" or email contains \"'\"", &count);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(count, 1);
  const v1::Segment seg = CreateSegment("Bobby", "name contains \"'; DELETE FROM segments; --\"");
  EXPECT_EQ(seg.member_count(), 0);
  EXPECT_EQ(Sql("SELECT count(*) FROM customers")[0][0].as<int64_t>(),
            static_cast<int64_t>(customers_.size()));
  EXPECT_EQ(Sql("SELECT count(*) FROM segments")[0][0].as<int64_t>(), 1);
  EXPECT_EQ(Sql("SELECT to_regclass('public.customers') IS NOT NULL")[0][0].as<bool>(), true);
}

// ---- Segment CRUD and errors ----

TEST_F(SegmentTest, CreateGetListUpdateDelete) {
  Create("ann@example.com", "Ann");
  const std::string bob = Create("bob@example.com", "Bob").id();
  Sql("UPDATE customers SET total_spent = 800000, orders_count = 2 WHERE email = 'bob@example.com'");

  v1::CreateSegmentRequest create;
  create.mutable_segment()->set_name("  Big spenders ");
  create.mutable_segment()->set_description("More than 5000 spent");
  create.mutable_segment()->set_rule("total_spent > 5000");
  v1::Segment big;
  grpc::Status s = stub_->CreateSegment(Ctx().get(), create, &big);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(big.id().empty());
  EXPECT_EQ(big.name(), "Big spenders");
  EXPECT_EQ(big.description(), "More than 5000 spent");
  EXPECT_EQ(big.rule(), "total_spent > 5000");
  EXPECT_EQ(big.member_count(), 1);
  EXPECT_EQ(TimeUtil::TimestampToMicroseconds(big.create_time()), absl::ToUnixMicros(kNow));
  EXPECT_EQ(TimeUtil::TimestampToMicroseconds(big.evaluate_time()), absl::ToUnixMicros(kNow));
  // Filling a new segment is silent: nobody "joined".
  EXPECT_TRUE(OutboxEvents("store.customer.v1.SegmentMembershipChanged").empty());

  v1::GetSegmentRequest get;
  get.set_id(big.id());
  v1::Segment got;
  ASSERT_TRUE(stub_->GetSegment(Ctx().get(), get, &got).ok());
  EXPECT_EQ(got.SerializeAsString(), big.SerializeAsString());

  const v1::Segment any = CreateSegment("all customers", "orders_count >= 0");
  EXPECT_EQ(any.member_count(), 2);
  v1::ListSegmentsResponse list;
  ASSERT_TRUE(stub_->ListSegments(Ctx().get(), v1::ListSegmentsRequest(), &list).ok());
  ASSERT_EQ(list.segments_size(), 2);
  EXPECT_EQ(list.segments(0).name(), "all customers");  // by name, case-insensitive
  EXPECT_EQ(list.segments(1).name(), "Big spenders");

  // Duplicate names, case-insensitive, on create and on update.
  v1::CreateSegmentRequest dup;
  dup.mutable_segment()->set_name("BIG SPENDERS");
  dup.mutable_segment()->set_rule("orders_count > 1");
  v1::Segment ignored;
  EXPECT_EQ(stub_->CreateSegment(Ctx().get(), dup, &ignored).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  v1::UpdateSegmentRequest rename;
  *rename.mutable_segment() = any;
  rename.mutable_segment()->set_name("big Spenders");
  EXPECT_EQ(stub_->UpdateSegment(Ctx().get(), rename, &ignored).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  // Update: name, description and rule replaced, membership re-evaluated
  // (and published, unlike on create).
  clock_.Advance(absl::Minutes(5));
  v1::UpdateSegmentRequest update;
  update.mutable_segment()->set_id(big.id());
  update.mutable_segment()->set_name("Regulars");
  update.mutable_segment()->set_rule("orders_count >= 0 and name != \"Bob\"");
  v1::Segment updated;
  s = stub_->UpdateSegment(Ctx().get(), update, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(updated.name(), "Regulars");
  EXPECT_EQ(updated.description(), "");
  EXPECT_EQ(updated.member_count(), 1);
  EXPECT_EQ(TimeUtil::TimestampToMicroseconds(updated.update_time()),
            absl::ToUnixMicros(kNow + absl::Minutes(5)));
  EXPECT_EQ(TimeUtil::TimestampToMicroseconds(updated.create_time()), absl::ToUnixMicros(kNow));
  auto changes = OutboxEvents("store.customer.v1.SegmentMembershipChanged");
  ASSERT_EQ(changes.size(), 2u);  // Ann joined, Bob left
  std::map<std::string, bool> joined;
  for (const auto& env : changes) {
    v1::SegmentMembershipChanged e;
    ASSERT_TRUE(events::UnpackPayload(env, &e).ok());
    EXPECT_EQ(e.segment_id(), big.id());
    EXPECT_EQ(e.segment_name(), "Regulars");
    joined[e.email()] = e.joined();
  }
  EXPECT_EQ(joined, (std::map<std::string, bool>{{"ann@example.com", true},
                                                 {"bob@example.com", false}}));
  // Keeping its own name (another case) is fine.
  update.mutable_segment()->set_name("REGULARS");
  ASSERT_TRUE(stub_->UpdateSegment(Ctx().get(), update, &updated).ok());
  EXPECT_EQ(updated.name(), "REGULARS");

  // Unknown ids.
  v1::UpdateSegmentRequest missing = update;
  missing.mutable_segment()->set_id("00000000-0000-4000-8000-00000000beef");
  missing.mutable_segment()->set_name("Other");
  EXPECT_EQ(stub_->UpdateSegment(Ctx().get(), missing, &ignored).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::GetSegmentRequest bad_id;
  bad_id.set_id("not-a-uuid");
  EXPECT_EQ(stub_->GetSegment(Ctx().get(), bad_id, &ignored).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // Validation.
  v1::CreateSegmentRequest empty;
  empty.mutable_segment()->set_name("   ");
  empty.mutable_segment()->set_rule("accepts_marketing");
  EXPECT_EQ(stub_->CreateSegment(Ctx().get(), empty, &ignored).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::CreateSegmentRequest no_rule;
  no_rule.mutable_segment()->set_name("No rule");
  EXPECT_EQ(stub_->CreateSegment(Ctx().get(), no_rule, &ignored).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // Count by saved id.
  v1::CountSegmentMembersRequest count_req;
  count_req.set_segment_id(any.id());
  v1::CountSegmentMembersResponse count;
  ASSERT_TRUE(stub_->CountSegmentMembers(Ctx().get(), count_req, &count).ok());
  EXPECT_EQ(count.count(), 2);
  EXPECT_EQ(stub_->CountSegmentMembers(Ctx().get(), v1::CountSegmentMembersRequest(), &count)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // Customers may not touch segments.
  EXPECT_EQ(stub_->GetSegment(Ctx(bob).get(), get, &ignored).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Delete.
  v1::DeleteSegmentRequest del;
  del.set_id(big.id());
  v1::DeleteSegmentResponse del_resp;
  ASSERT_TRUE(stub_->DeleteSegment(Ctx().get(), del, &del_resp).ok());
  EXPECT_EQ(stub_->GetSegment(Ctx().get(), get, &ignored).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_->DeleteSegment(Ctx().get(), del, &del_resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Sql("SELECT count(*) FROM segment_members WHERE segment_id = '" + big.id() + "'")[0][0]
                .as<int64_t>(),
            0);
  v1::ListSegmentMembersRequest members;
  members.set_segment_id(big.id());
  v1::ListSegmentMembersResponse members_resp;
  EXPECT_EQ(stub_->ListSegmentMembers(Ctx().get(), members, &members_resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(stub_->ListSegments(Ctx().get(), v1::ListSegmentsRequest(), &list).ok());
  EXPECT_EQ(list.segments_size(), 1);
}

TEST_F(SegmentTest, BadRuleIsInvalidArgumentWithPosition) {
  struct Bad {
    std::string rule;
    int line, column;
  };
  const std::vector<Bad> bad = {
      {"total_spent > 5000 and\n  orders_count > abc", 2, 18},
      {"total_spent >", 1, 14},
      {"shoe_size > 42", 1, 1},
      {"custom.nope = 1", 1, 1},
      {"last_order_at = 2026-01-01", 1, 15},
      {"(total_spent > 5000", 1, 20},
      {"total_spent > 50.001", 1, 15},
      {"name contains 'smith'", 1, 15},
  };
  for (const Bad& b : bad) {
    SCOPED_TRACE(b.rule);
    // As a preview ...
    v1::CountSegmentMembersRequest count;
    count.set_rule(b.rule);
    v1::CountSegmentMembersResponse count_resp;
    grpc::Status s = stub_->CountSegmentMembers(Ctx().get(), count, &count_resp);
    ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    std::optional<common::v1::ErrorInfo> info = grpcx::ErrorInfoOf(s);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->reason(), "SEGMENT_RULE_INVALID");
    EXPECT_EQ(info->metadata().at("line"), absl::StrCat(b.line)) << s.error_message();
    EXPECT_EQ(info->metadata().at("column"), absl::StrCat(b.column)) << s.error_message();
    EXPECT_THAT(s.error_message(),
                ::testing::HasSubstr(absl::StrCat("at ", b.line, ":", b.column, ":")));
    // ... and saved.
    v1::CreateSegmentRequest create;
    create.mutable_segment()->set_name("Bad");
    create.mutable_segment()->set_rule(b.rule);
    v1::Segment seg;
    s = stub_->CreateSegment(Ctx().get(), create, &seg);
    ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    info = grpcx::ErrorInfoOf(s);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->reason(), "SEGMENT_RULE_INVALID");
    EXPECT_EQ(info->metadata().at("line"), absl::StrCat(b.line));
    EXPECT_EQ(info->metadata().at("column"), absl::StrCat(b.column));
  }
  EXPECT_EQ(Sql("SELECT count(*) FROM segments")[0][0].as<int64_t>(), 0);

  // A bad rule on update leaves the segment as it was.
  const v1::Segment ok = CreateSegment("Fine", "orders_count > 1");
  v1::UpdateSegmentRequest update;
  *update.mutable_segment() = ok;
  update.mutable_segment()->set_rule("orders_count > 1 and");
  v1::Segment ignored;
  grpc::Status s = stub_->UpdateSegment(Ctx().get(), update, &ignored);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(grpcx::ErrorInfoOf(s).value_or(common::v1::ErrorInfo()).reason(),
            "SEGMENT_RULE_INVALID");
  v1::GetSegmentRequest get;
  get.set_id(ok.id());
  v1::Segment after;
  ASSERT_TRUE(stub_->GetSegment(Ctx().get(), get, &after).ok());
  EXPECT_EQ(after.rule(), "orders_count > 1");
}

// ---- Live membership (CUS-17) ----

class LiveSegmentTest : public SegmentTest {
 protected:
  // An order snapshot event as the order service publishes it.
  common::v1::EventEnvelope OrderEvent(bool refunded_event, const std::string& order_id,
                                       const std::string& customer_id, int64_t total,
                                       int64_t refunded, int64_t version, absl::Time placed) {
    order::v1::Order o;
    o.set_id(order_id);
    o.set_number(10001);
    o.set_status(refunded > 0 ? order::v1::ORDER_STATUS_PARTIALLY_REFUNDED
                              : order::v1::ORDER_STATUS_PROCESSING);
    o.mutable_customer()->set_customer_id(customer_id);
    o.set_currency_code("USD");
    o.mutable_totals()->mutable_total()->set_amount_minor(total);
    o.mutable_totals()->mutable_total()->set_currency_code("USD");
    o.mutable_totals()->mutable_paid()->set_amount_minor(total);
    o.mutable_totals()->mutable_paid()->set_currency_code("USD");
    o.mutable_totals()->mutable_refunded()->set_amount_minor(refunded);
    o.mutable_totals()->mutable_refunded()->set_currency_code("USD");
    o.set_version(version);
    *o.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(placed));
    *o.mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(clock_.Now()));
    if (refunded_event) {
      order::v1::OrderRefunded e;
      *e.mutable_order() = o;
      return events::MakeEnvelope(e, order_id, version, "order-service", clock_.Now());
    }
    order::v1::OrderPlaced e;
    *e.mutable_order() = o;
    return events::MakeEnvelope(e, order_id, version, "order-service", clock_.Now());
  }

  std::vector<v1::SegmentMembershipChanged> Changes() {
    std::vector<v1::SegmentMembershipChanged> out;
    for (const auto& env : OutboxEvents("store.customer.v1.SegmentMembershipChanged")) {
      v1::SegmentMembershipChanged e;
      EXPECT_TRUE(events::UnpackPayload(env, &e).ok());
      EXPECT_EQ(env.aggregate_id(), e.customer_id());
      out.push_back(e);
    }
    return out;
  }

  int64_t Members(const std::string& segment_id) {
    return Sql("SELECT count(*) FROM segment_members WHERE segment_id = '" + segment_id + "'")[0][0]
        .as<int64_t>();
  }
};

TEST_F(LiveSegmentTest, OrderEventsMoveCustomersInAndOut) {
  const v1::Customer ann = Create("ann@example.com", "Ann");
  const v1::Customer bob = Create("bob@example.com", "Bob");
  const v1::Segment vip = CreateSegment("VIP", "total_spent > 50");
  EXPECT_EQ(vip.member_count(), 0);
  const std::string order = "0e000000-0000-4000-8000-000000000001";

  // Bob's small order keeps him out; nothing published for the segment.
  ASSERT_TRUE(Deliver(OrderEvent(false, "0e000000-0000-4000-8000-000000000002", bob.id(), 4000, 0,
                                 1, kNow - absl::Hours(1)))
                  .ok());
  EXPECT_TRUE(Changes().empty());

  // Ann's order of 60.00 pushes her over 50: one join.
  const common::v1::EventEnvelope placed =
      OrderEvent(false, order, ann.id(), 6000, 0, 1, kNow - absl::Hours(1));
  ASSERT_TRUE(Deliver(placed).ok());
  std::vector<v1::SegmentMembershipChanged> changes = Changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].segment_id(), vip.id());
  EXPECT_EQ(changes[0].segment_name(), "VIP");
  EXPECT_EQ(changes[0].customer_id(), ann.id());
  EXPECT_EQ(changes[0].email(), "ann@example.com");
  EXPECT_TRUE(changes[0].joined());
  EXPECT_EQ(Members(vip.id()), 1);

  // Redelivered: nothing changes.
  const size_t outbox_before = OutboxTypes().size();
  ASSERT_TRUE(Deliver(placed).ok());
  EXPECT_EQ(Changes().size(), 1u);
  EXPECT_EQ(OutboxTypes().size(), outbox_before);

  // A refund of 20.00 drops her to 40.00: one leave.
  const common::v1::EventEnvelope refunded =
      OrderEvent(true, order, ann.id(), 6000, 2000, 2, kNow - absl::Hours(1));
  ASSERT_TRUE(Deliver(refunded).ok());
  changes = Changes();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].customer_id(), ann.id());
  EXPECT_EQ(changes[1].segment_id(), vip.id());
  EXPECT_FALSE(changes[1].joined());
  EXPECT_EQ(Members(vip.id()), 0);
  v1::GetSegmentRequest get;
  get.set_id(vip.id());
  v1::Segment now_vip;
  ASSERT_TRUE(stub_->GetSegment(Ctx().get(), get, &now_vip).ok());
  EXPECT_EQ(now_vip.member_count(), 0);

  // Redelivering the refund, or the older placed snapshot, changes nothing.
  const size_t outbox_after = OutboxTypes().size();
  ASSERT_TRUE(Deliver(refunded).ok());
  ASSERT_TRUE(Deliver(placed).ok());
  EXPECT_EQ(Changes().size(), 2u);
  EXPECT_EQ(OutboxTypes().size(), outbox_after);
  EXPECT_EQ(Sql("SELECT total_spent FROM customers WHERE id = '" + ann.id() + "'")[0][0]
                .as<int64_t>(),
            4000);
}

// The consumer applies the events it fetched together in one transaction;
// memberships follow each customer's facts at its end: a join and a leave
// of the same customer within it publish nothing.
TEST_F(LiveSegmentTest, EventsAppliedTogetherMoveEachCustomerOnce) {
  const v1::Customer ann = Create("ann@example.com", "Ann");
  const v1::Customer bob = Create("bob@example.com", "Bob");
  const v1::Segment vip = CreateSegment("VIP", "total_spent > 50");
  auto facts = [&](const v1::Customer& c) {
    const pqxx::row r =
        Sql("SELECT total_spent, orders_count, last_order_at IS NOT NULL"
            " FROM customers WHERE id = '" +
            c.id() + "'")[0];
    return std::make_tuple(r[0].as<int64_t>(), r[1].as<int64_t>(), r[2].as<bool>());
  };
  const std::string ann_order = "0e000000-0000-4000-8000-000000000011";
  const std::string bob_order = "0e000000-0000-4000-8000-000000000012";
  ASSERT_TRUE(DeliverTogether({
                                  OrderEvent(false, ann_order, ann.id(), 6000, 0, 1, kNow),
                                  OrderEvent(false, bob_order, bob.id(), 7000, 0, 1, kNow),
                                  OrderEvent(true, ann_order, ann.id(), 6000, 2000, 2, kNow),
                              })
                  .ok());
  std::vector<v1::SegmentMembershipChanged> changes = Changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].customer_id(), bob.id());
  EXPECT_TRUE(changes[0].joined());
  EXPECT_EQ(Members(vip.id()), 1);
  EXPECT_EQ(facts(ann), std::make_tuple(int64_t{4000}, int64_t{1}, true));
  EXPECT_EQ(facts(bob), std::make_tuple(int64_t{7000}, int64_t{1}, true));

  // A transaction that rolls back after a handler ran leaves nothing for the
  // next one: Ann's second order counts once, when it is applied for good.
  const common::v1::EventEnvelope second =
      OrderEvent(false, "0e000000-0000-4000-8000-000000000013", ann.id(), 9000, 0, 1, kNow);
  const absl::Status failed = pool_->InTransaction(
      [&](pqxx::work& tx) -> absl::Status {
        handlers_->BeginOrderEvents();
        EXPECT_TRUE(handlers_->HandleOrderEvent(tx, second).ok());
        return absl::AbortedError("the batch failed");
      },
      /*max_attempts=*/1);
  EXPECT_TRUE(absl::IsAborted(failed)) << failed;
  ASSERT_TRUE(DeliverTogether({OrderEvent(false, "0e000000-0000-4000-8000-000000000014", bob.id(),
                                          100, 0, 1, kNow)})
                  .ok());
  EXPECT_EQ(facts(ann), std::make_tuple(int64_t{4000}, int64_t{1}, true));
  EXPECT_EQ(facts(bob), std::make_tuple(int64_t{7100}, int64_t{2}, true));
  ASSERT_TRUE(Deliver(second).ok());
  EXPECT_EQ(facts(ann), std::make_tuple(int64_t{13000}, int64_t{2}, true));
  changes = Changes();
  ASSERT_EQ(changes.size(), 2u);  // Ann joined with her second order
  EXPECT_EQ(changes[1].customer_id(), ann.id());
  EXPECT_EQ(Members(vip.id()), 2);

  // A later event that changes no figure (the order shipped) moves nobody.
  ASSERT_TRUE(Deliver(OrderEvent(false, bob_order, bob.id(), 7000, 0, 3, kNow)).ok());
  EXPECT_EQ(Changes().size(), 2u);
  EXPECT_EQ(facts(bob), std::make_tuple(int64_t{7100}, int64_t{2}, true));
}

TEST_F(LiveSegmentTest, TimePassingMakesMembersLeave) {
  const v1::Customer ann = Create("ann@example.com", "Ann");
  const v1::Customer bob = Create("bob@example.com", "Bob");
  ASSERT_TRUE(Deliver(OrderEvent(false, "0e000000-0000-4000-8000-000000000011", ann.id(), 1000, 0,
                                 1, kNow - absl::Hours(24)))
                  .ok());
  ASSERT_TRUE(Deliver(OrderEvent(false, "0e000000-0000-4000-8000-000000000012", bob.id(), 9000, 0,
                                 1, kNow - absl::Hours(24 * 20)))
                  .ok());
  const v1::Segment recent = CreateSegment("Recent buyers", "last_order_at within 30 days");
  const v1::Segment spenders = CreateSegment("Spenders", "total_spent > 50");
  EXPECT_EQ(recent.member_count(), 2);
  EXPECT_EQ(spenders.member_count(), 1);
  EXPECT_TRUE(Changes().empty());

  // Nothing has moved yet.
  absl::StatusOr<int64_t> n = segments_->RefreshAll(true);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 0);
  EXPECT_TRUE(Changes().empty());

  // 11 days on, Bob's order is 31 days old: he leaves; Ann stays.
  clock_.Advance(absl::Hours(24 * 11));
  n = segments_->RefreshAll(true);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  std::vector<v1::SegmentMembershipChanged> changes = Changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].segment_id(), recent.id());
  EXPECT_EQ(changes[0].customer_id(), bob.id());
  EXPECT_FALSE(changes[0].joined());
  EXPECT_EQ(Members(recent.id()), 1);
  EXPECT_EQ(Members(spenders.id()), 1);  // not time-relative: untouched

  // 30 more days: Ann leaves too; a second refresh changes nothing.
  clock_.Advance(absl::Hours(24 * 30));
  n = segments_->RefreshAll(true);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  n = segments_->RefreshAll(false);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 0);
  changes = Changes();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].customer_id(), ann.id());
  EXPECT_FALSE(changes[1].joined());
  EXPECT_EQ(Members(recent.id()), 0);
  v1::GetSegmentRequest get;
  get.set_id(recent.id());
  v1::Segment seg;
  ASSERT_TRUE(stub_->GetSegment(Ctx().get(), get, &seg).ok());
  EXPECT_EQ(seg.member_count(), 0);
  EXPECT_EQ(TimeUtil::TimestampToMicroseconds(seg.evaluate_time()),
            absl::ToUnixMicros(clock_.Now()));
}

}  // namespace
}  // namespace store::customer

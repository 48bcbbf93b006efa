// The segment rule language's syntax tree and field catalogue (CUS-08), for
// the compiler that turns a tree into SQL (services/customer/store/
// segment_sql.h). Pure: parsing and types, no SQL.
#ifndef STORE_SERVICES_CUSTOMER_DOMAIN_SEGMENT_RULE_TREE_H_
#define STORE_SERVICES_CUSTOMER_DOMAIN_SEGMENT_RULE_TREE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace store::customer::segment_rule {

// A place in the rule text, for messages.
struct Pos {
  int offset = 0;  // bytes, 0-based
  int line = 1;    // 1-based
  int column = 1;  // characters, 1-based
};

// INVALID_ARGUMENT with reason SEGMENT_RULE_INVALID, field "rule", naming
// the line and column.
absl::Status RuleError(const Pos& pos, absl::string_view message);
// Rule text for a message: at most 40 bytes, cut on a character boundary.
std::string Shown(absl::string_view text);

// Syntax tree

enum class Op {
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kIn,
  kNotIn,
  kContains,
  kIsSet,
  kIsNotSet,
  kWithin,
  kBefore,
  kAfter,
  kOn,
  kBare
};

enum class Unit { kHour, kDay, kWeek, kMonth, kYear };

struct Value {
  enum class Kind { kNumber, kString, kBool, kDate, kAgo, kToday, kYesterday, kNow };
  Kind kind = Kind::kNumber;
  std::string text;        // kNumber: as written; kString: decoded
  bool flag = false;       // kBool
  absl::CivilDay day;      // kDate
  int64_t count = 0;       // kAgo (and WITHIN's duration)
  Unit unit = Unit::kDay;  // kAgo (and WITHIN's duration)
  absl::string_view source;
  Pos pos;
};

struct Node {
  enum class Kind { kAnd, kOr, kNot, kPredicate };
  Kind kind = Kind::kPredicate;
  std::vector<Node> children;  // kAnd, kOr: 2 or more; kNot: 1
  // kPredicate:
  absl::string_view field;
  Pos field_pos;
  Op op = Op::kBare;
  std::string op_name;  // for messages: '>', IN, CONTAINS, ...
  Pos op_pos;
  std::vector<Value> values;
};

// Field catalogue

enum class Type {
  kMoney,
  kInteger,
  kTime,
  kBool,
  kCountry,
  kText,
  kGroup,
  kCustomText,
  kCustomNumber,
  kCustomDate,
  kCustomChoice
};

// A built-in field of the customers the rules can test.
struct Builtin {
  absl::string_view name;
  Type type;
};

constexpr Builtin kBuiltins[] = {
    {"total_spent", Type::kMoney},
    {"wallet_balance", Type::kMoney},
    {"orders_count", Type::kInteger},
    {"first_order_at", Type::kTime},
    {"last_order_at", Type::kTime},
    {"created_at", Type::kTime},
    {"accepts_marketing", Type::kBool},
    {"email_verified", Type::kBool},
    {"tax_exempt", Type::kBool},
    {"blocked", Type::kBool},
    {"guest", Type::kBool},
    {"active", Type::kBool},
    {"country", Type::kCountry},
    {"email", Type::kText},
    {"name", Type::kText},
    {"group", Type::kGroup},
};

constexpr absl::string_view kCustomPrefix = "custom.";

const Builtin* FindBuiltin(absl::string_view name);
bool IsCustomName(absl::string_view name);
// "total_spent, ..., custom.<key>".
std::string KnownFields();
// "total_spent" or "custom.<key>", as SegmentRuleFields reports it.
std::string CanonicalField(absl::string_view name);
// "a money field", ...
absl::string_view TypeName(Type type);
// The operators a field of `type` takes, for messages.
absl::string_view AllowedOps(Type type);
bool OpAllowed(Type type, Op op);

// The tree of `rule`, or INVALID_ARGUMENT naming where and why.
absl::StatusOr<Node> Parse(absl::string_view rule);

// Calls fn(predicate) for every predicate, left to right.
template <typename Fn>
void ForEachPredicate(const Node& node, Fn&& fn) {
  if (node.kind == Node::Kind::kPredicate) {
    fn(node);
    return;
  }
  for (const Node& child : node.children) ForEachPredicate(child, fn);
}

}  // namespace store::customer::segment_rule

#endif  // STORE_SERVICES_CUSTOMER_DOMAIN_SEGMENT_RULE_TREE_H_

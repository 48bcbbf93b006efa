#include "services/customer/store/segment_sql.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "libs/core/money.h"
#include "libs/core/status.h"
#include "services/customer/domain/segment_rule_tree.h"

namespace store::customer {
namespace {

using namespace segment_rule;  // NOLINT: the tree this file compiles

// The column of each built-in field, over the alias c of the customers table.
absl::string_view ColumnOf(absl::string_view field) {
  static constexpr std::pair<absl::string_view, absl::string_view> kColumns[] = {
      {"total_spent", "c.total_spent"},
      {"wallet_balance", "c.wallet_balance"},
      {"orders_count", "c.orders_count"},
      {"first_order_at", "c.first_order_at"},
      {"last_order_at", "c.last_order_at"},
      {"created_at", "c.created_at"},
      {"accepts_marketing", "c.accepts_marketing"},
      {"email_verified", "c.email_verified"},
      {"tax_exempt", "c.tax_exempt"},
      {"blocked", "c.blocked"},
      {"guest", "c.guest"},
      {"active", "c.active"},
      {"country", "c.country"},
      {"email", "c.email"},
      {"name", "c.name"},
      {"group", "c.group_id"},
  };
  for (const auto& [name, column] : kColumns) {
    if (name == field) return column;
  }
  return "";
}

// ---------------------------------------------------------------------------
// Compiler

absl::string_view SqlOp(Op op) {
  switch (op) {
    case Op::kEq:
      return "=";
    case Op::kNe:
      return "<>";
    case Op::kLt:
    case Op::kBefore:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
    case Op::kAfter:
      return ">";
    case Op::kGe:
      return ">=";
    default:
      return "=";
  }
}

std::string Negate(absl::string_view sql) {
  return absl::StrCat("(NOT COALESCE(", sql, ", false))");
}

int64_t Pow10(int exponent) {
  int64_t p = 1;
  for (int i = 0; i < exponent; ++i) p *= 10;
  return p;
}

// A value of a time field: a whole UTC day or an instant.
struct TimePoint {
  bool is_day = false;
  absl::CivilDay day;
  absl::Time instant;
};

class Compiler {
 public:
  explicit Compiler(const SegmentContext& ctx)
      : ctx_(ctx),
        now_civil_(absl::ToCivilSecond(ctx.now, absl::UTCTimeZone())),
        today_(now_civil_) {}

  absl::StatusOr<std::string> Compile(const Node& node) {
    switch (node.kind) {
      case Node::Kind::kAnd:
      case Node::Kind::kOr: {
        std::vector<std::string> parts;
        for (const Node& child : node.children) {
          STORE_ASSIGN_OR_RETURN(std::string part, Compile(child));
          parts.push_back(std::move(part));
        }
        return absl::StrCat(
            "(", absl::StrJoin(parts, node.kind == Node::Kind::kAnd ? " AND " : " OR "), ")");
      }
      case Node::Kind::kNot: {
        STORE_ASSIGN_OR_RETURN(std::string inner, Compile(node.children[0]));
        return Negate(inner);
      }
      case Node::Kind::kPredicate:
        return CompilePredicate(node);
    }
    return absl::InternalError("unknown node");
  }

  std::vector<std::string> TakeParams() { return std::move(params_); }

 private:
  // A resolved field: `expr` is what values are compared with, `raw` what
  // IS SET looks at.
  struct Field {
    Type type = Type::kText;
    std::string name;
    std::string expr;
    std::string raw;
    const CustomFieldDef* custom = nullptr;
  };

  std::string Param(std::string value, absl::string_view cast) {
    params_.push_back(std::move(value));
    return absl::StrCat("$", ctx_.first_param + static_cast<int>(params_.size()) - 1, "::", cast);
  }

  absl::StatusOr<Field> ResolveField(const Node& node) {
    Field f;
    if (const Builtin* b = FindBuiltin(node.field)) {
      f.type = b->type;
      f.name = std::string(b->name);
      f.raw = std::string(ColumnOf(b->name));
      f.expr = b->type == Type::kText ? absl::StrCat("lower(", ColumnOf(b->name), ")") : f.raw;
      return f;
    }
    const absl::string_view key = node.field.substr(kCustomPrefix.size());
    f.name = absl::StrCat(kCustomPrefix, key);
    for (const CustomFieldDef& def : ctx_.custom_fields) {
      if (def.key == key) {
        f.custom = &def;
        break;
      }
    }
    if (f.custom == nullptr) {
      std::vector<std::string> defined;
      for (const CustomFieldDef& def : ctx_.custom_fields) {
        defined.push_back(absl::StrCat(kCustomPrefix, def.key));
      }
      return RuleError(node.field_pos,
                       absl::StrCat("unknown custom field \"", Shown(f.name), "\"; ",
                                    defined.empty() ? std::string("the store has no custom fields")
                                                    : absl::StrCat("the custom fields are ",
                                                                   absl::StrJoin(defined, ", "))));
    }
    f.raw = absl::StrCat("c.custom->>", Param(f.custom->key, "text"));
    switch (f.custom->type) {
      case CustomFieldType::kText:
        f.type = Type::kCustomText;
        f.expr = absl::StrCat("lower(", f.raw, ")");
        break;
      case CustomFieldType::kNumber:
        f.type = Type::kCustomNumber;
        f.expr = absl::StrCat("(", f.raw, ")::numeric");
        break;
      case CustomFieldType::kDate:
        f.type = Type::kCustomDate;
        f.expr = absl::StrCat("(", f.raw, ")::date");
        break;
      case CustomFieldType::kChoice:
        f.type = Type::kCustomChoice;
        f.expr = absl::StrCat("(", f.raw, ")");
        break;
    }
    return f;
  }

  static absl::Status WrongValue(const Field& f, const Node& node, const Value& v,
                                 absl::string_view expected) {
    const absl::string_view where =
        node.op == Op::kIn || node.op == Op::kNotIn ? "in the list" : "after";
    return RuleError(v.pos, absl::StrCat("expected ", expected, " for ", f.name, " ", where,
                                         node.op == Op::kIn || node.op == Op::kNotIn
                                             ? ""
                                             : absl::StrCat(" ", node.op_name),
                                         " but found ", Shown(v.source)));
  }

  absl::StatusOr<std::string> CompilePredicate(const Node& node) {
    STORE_ASSIGN_OR_RETURN(Field f, ResolveField(node));
    if (!OpAllowed(f.type, node.op)) {
      std::string hint;
      if (f.type == Type::kTime && (node.op == Op::kEq || node.op == Op::kNe)) {
        hint = " (for a calendar day use ON, e.g. ON 2026-01-31)";
      }
      return RuleError(node.op_pos,
                       absl::StrCat(node.op_name, " does not apply to ", f.name, ", ",
                                    TypeName(f.type), "; use ", AllowedOps(f.type), hint));
    }
    switch (node.op) {
      case Op::kIsSet:
      case Op::kIsNotSet:
        return IsSet(f, node.op == Op::kIsSet);
      case Op::kBare: {
        const std::string p = Param("true", "boolean");
        return absl::StrCat("(", f.expr, " = ", p, ")");
      }
      default:
        break;
    }
    if (f.type == Type::kTime || f.type == Type::kCustomDate) return CompileTime(f, node);

    std::vector<std::string> params;
    for (const Value& v : node.values) {
      STORE_ASSIGN_OR_RETURN(std::string p, ScalarParam(f, node, v));
      params.push_back(std::move(p));
    }
    if (f.type == Type::kGroup) {
      const std::string names = node.op == Op::kEq || node.op == Op::kNe
                                    ? absl::StrCat(" = ", params[0])
                                    : absl::StrCat(" IN (", absl::StrJoin(params, ", "), ")");
      const std::string in = absl::StrCat(
          "(c.group_id IN (SELECT g.id FROM customer_groups g WHERE lower(g.name)", names, "))");
      return node.op == Op::kEq || node.op == Op::kIn ? in : Negate(in);
    }
    switch (node.op) {
      case Op::kContains:
        if (node.values[0].text.empty()) {
          return RuleError(node.values[0].pos, "CONTAINS needs a non-empty string");
        }
        return absl::StrCat("(strpos(", f.expr, ", ", params[0], ") > 0)");
      case Op::kIn:
      case Op::kNotIn: {
        const std::string in =
            absl::StrCat("(", f.expr, " IN (", absl::StrJoin(params, ", "), "))");
        return node.op == Op::kIn ? in : Negate(in);
      }
      case Op::kNe:
        return Negate(absl::StrCat("(", f.expr, " = ", params[0], ")"));
      default:
        return absl::StrCat("(", f.expr, " ", SqlOp(node.op), " ", params[0], ")");
    }
  }

  std::string IsSet(const Field& f, bool set) {
    switch (f.type) {
      case Type::kCountry:
      case Type::kText:
      case Type::kCustomText:
      case Type::kCustomNumber:
      case Type::kCustomDate:
      case Type::kCustomChoice:
        return set ? absl::StrCat("(length(", f.raw, ") > 0)")
                   : absl::StrCat("(COALESCE(length(", f.raw, "), 0) = 0)");
      default:
        return absl::StrCat("(", f.raw, set ? " IS NOT NULL)" : " IS NULL)");
    }
  }

  // The placeholder (with cast) of one value of a non-time field.
  absl::StatusOr<std::string> ScalarParam(const Field& f, const Node& node, const Value& v) {
    using Kind = Value::Kind;
    switch (f.type) {
      case Type::kMoney: {
        if (v.kind != Kind::kNumber) return WrongValue(f, node, v, "a number");
        STORE_ASSIGN_OR_RETURN(std::string minor, MinorUnits(f, v));
        return Param(std::move(minor), "bigint");
      }
      case Type::kInteger: {
        if (v.kind != Kind::kNumber || absl::StrContains(v.text, '.')) {
          return WrongValue(f, node, v, "a whole number");
        }
        int64_t n = 0;
        if (!absl::SimpleAtoi(v.text, &n)) {
          return RuleError(v.pos, absl::StrCat(Shown(v.source), " is out of range for ", f.name));
        }
        return Param(absl::StrCat(n), "bigint");
      }
      case Type::kCustomNumber:
        if (v.kind != Kind::kNumber) return WrongValue(f, node, v, "a number");
        return Param(v.text, "numeric");
      case Type::kBool:
        if (v.kind != Kind::kBool) return WrongValue(f, node, v, "TRUE or FALSE");
        return Param(v.flag ? "true" : "false", "boolean");
      case Type::kCountry: {
        if (v.kind != Kind::kString) return WrongValue(f, node, v, "a string");
        if (v.text.size() != 2 || !absl::ascii_isalpha(v.text[0]) ||
            !absl::ascii_isalpha(v.text[1])) {
          return RuleError(v.pos, absl::StrCat("country takes a two-letter ISO 3166 code such as "
                                               "\"DE\" but found ",
                                               Shown(v.source)));
        }
        return Param(absl::AsciiStrToUpper(v.text), "text");
      }
      case Type::kText:
      case Type::kCustomText:
      case Type::kGroup:
        if (v.kind != Kind::kString) return WrongValue(f, node, v, "a string");
        return absl::StrCat("lower(", Param(v.text, "text"), ")");
      case Type::kCustomChoice: {
        if (v.kind != Kind::kString) return WrongValue(f, node, v, "a string");
        const std::vector<std::string>& choices = f.custom->choices;
        auto it = std::find(choices.begin(), choices.end(), v.text);
        if (it == choices.end()) {
          it = std::find_if(choices.begin(), choices.end(), [&v](const std::string& c) {
            return absl::EqualsIgnoreCase(c, v.text);
          });
        }
        if (it == choices.end()) {
          std::vector<std::string> quoted;
          for (const std::string& c : choices) quoted.push_back(absl::StrCat("\"", c, "\""));
          return RuleError(v.pos, absl::StrCat(Shown(v.source), " is not a choice of ", f.name,
                                               "; the choices are ", absl::StrJoin(quoted, ", ")));
        }
        return Param(*it, "text");
      }
      case Type::kTime:
      case Type::kCustomDate:
        break;
    }
    return absl::InternalError("not a scalar field");
  }

  // "12.50" in major units to minor units, exactly.
  absl::StatusOr<std::string> MinorUnits(const Field& f, const Value& v) {
    const int exponent = ctx_.currency_exponent;
    absl::string_view text = v.text;
    const bool negative = absl::ConsumePrefix(&text, "-");
    absl::string_view whole = text;
    absl::string_view frac;
    if (const size_t dot = text.find('.'); dot != absl::string_view::npos) {
      whole = text.substr(0, dot);
      frac = text.substr(dot + 1);
    }
    if (frac.size() > static_cast<size_t>(exponent)) {
      return RuleError(
          v.pos,
          exponent == 0
              ? absl::StrCat(f.name,
                             " is in whole units of the store currency, which has "
                             "no decimals, but ",
                             Shown(v.source), " has ", frac.size())
              : absl::StrCat(f.name, " is in major units of the store currency, with at most ",
                             exponent, " decimals, but ", Shown(v.source), " has ", frac.size()));
    }
    while (whole.size() > 1 && whole[0] == '0') whole.remove_prefix(1);
    int64_t whole_units = 0;
    int64_t frac_units = 0;
    const int64_t scale = Pow10(exponent);
    if (whole.size() > 18 || !absl::SimpleAtoi(whole, &whole_units) ||
        whole_units > kMaxAmountMinor / scale ||
        (!frac.empty() && !absl::SimpleAtoi(frac, &frac_units))) {
      return RuleError(v.pos, absl::StrCat(Shown(v.source), " is too large for ", f.name));
    }
    const int64_t minor =
        whole_units * scale + frac_units * Pow10(exponent - static_cast<int>(frac.size()));
    if (minor > kMaxAmountMinor) {
      return RuleError(v.pos, absl::StrCat(Shown(v.source), " is too large for ", f.name));
    }
    return absl::StrCat(negative && minor != 0 ? "-" : "", minor);
  }

  // now - count units; months and years in calendar months, clamped to the
  // end of the month.
  absl::Time Ago(int64_t count, Unit unit) const {
    switch (unit) {
      case Unit::kHour:
        return ctx_.now - absl::Hours(count);
      case Unit::kDay:
        return ctx_.now - absl::Hours(24 * count);
      case Unit::kWeek:
        return ctx_.now - absl::Hours(24 * 7 * count);
      case Unit::kMonth:
      case Unit::kYear:
        break;
    }
    const int64_t months = unit == Unit::kYear ? 12 * count : count;
    const absl::CivilMonth month = absl::CivilMonth(now_civil_) - months;
    const absl::CivilDay last = absl::CivilDay(month + 1) - 1;
    const int day = std::min(now_civil_.day(), last.day());
    const absl::CivilSecond then(month.year(), month.month(), day, now_civil_.hour(),
                                 now_civil_.minute(), now_civil_.second());
    const absl::Duration subsecond = ctx_.now - absl::FromCivil(now_civil_, absl::UTCTimeZone());
    return absl::FromCivil(then, absl::UTCTimeZone()) + subsecond;
  }

  absl::StatusOr<TimePoint> Resolve(const Field& f, const Node& node, const Value& v) const {
    TimePoint tp;
    switch (v.kind) {
      case Value::Kind::kDate:
        tp.is_day = true;
        tp.day = v.day;
        return tp;
      case Value::Kind::kToday:
        tp.is_day = true;
        tp.day = today_;
        return tp;
      case Value::Kind::kYesterday:
        tp.is_day = true;
        tp.day = today_ - 1;
        return tp;
      case Value::Kind::kNow:
        tp.instant = ctx_.now;
        return tp;
      case Value::Kind::kAgo:
        tp.instant = Ago(v.count, v.unit);
        return tp;
      default:
        return WrongValue(f, node, v, "a date (YYYY-MM-DD), TODAY, YESTERDAY, NOW or N units AGO");
    }
  }

  static absl::CivilDay DayOf(absl::Time t) {
    return absl::CivilDay(absl::ToCivilSecond(t, absl::UTCTimeZone()));
  }

  absl::StatusOr<std::string> InstantParam(absl::Time t, const Pos& pos) {
    const absl::CivilSecond cs = absl::ToCivilSecond(t, absl::UTCTimeZone());
    if (cs.year() < 1 || cs.year() > 9999) {
      return RuleError(pos, "the time is out of range (years 1 to 9999)");
    }
    return Param(absl::FormatTime("%E4Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone()), "timestamptz");
  }

  absl::StatusOr<std::string> DayStartParam(absl::CivilDay day, const Pos& pos) {
    if (day.year() < 1 || day.year() > 9999) {
      return RuleError(pos, "the date is out of range (years 1 to 9999)");
    }
    return InstantParam(absl::FromCivil(day, absl::UTCTimeZone()), pos);
  }

  absl::StatusOr<std::string> DayParam(absl::CivilDay day, const Pos& pos) {
    if (day.year() < 1 || day.year() > 9999) {
      return RuleError(pos, "the date is out of range (years 1 to 9999)");
    }
    return Param(absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day()), "date");
  }

  absl::StatusOr<std::string> CompileTime(const Field& f, const Node& node) {
    const Value& v = node.values[0];
    const bool date_field = f.type == Type::kCustomDate;
    if (node.op == Op::kWithin) {
      const absl::Time from = Ago(v.count, v.unit);
      std::string lo, hi;
      if (date_field) {
        STORE_ASSIGN_OR_RETURN(lo, DayParam(DayOf(from), v.pos));
        STORE_ASSIGN_OR_RETURN(hi, DayParam(today_, v.pos));
      } else {
        STORE_ASSIGN_OR_RETURN(lo, InstantParam(from, v.pos));
        STORE_ASSIGN_OR_RETURN(hi, InstantParam(ctx_.now, v.pos));
      }
      return absl::StrCat("(", f.expr, " >= ", lo, " AND ", f.expr, " <= ", hi, ")");
    }
    STORE_ASSIGN_OR_RETURN(TimePoint tp, Resolve(f, node, v));
    if (node.op == Op::kOn) {
      if (v.kind == Value::Kind::kNow || (v.kind == Value::Kind::kAgo && v.unit == Unit::kHour)) {
        return RuleError(v.pos, absl::StrCat("ON takes a day (a date, TODAY, YESTERDAY or N days "
                                             "AGO) but found ",
                                             Shown(v.source)));
      }
      if (!tp.is_day) tp = TimePoint{true, DayOf(tp.instant), absl::Time()};
    }
    if (date_field) {
      // Every value is taken as its UTC day.
      const absl::CivilDay day = tp.is_day ? tp.day : DayOf(tp.instant);
      STORE_ASSIGN_OR_RETURN(std::string p, DayParam(day, v.pos));
      if (node.op == Op::kNe) return Negate(absl::StrCat("(", f.expr, " = ", p, ")"));
      return absl::StrCat("(", f.expr, " ", SqlOp(node.op), " ", p, ")");
    }
    if (node.op == Op::kOn) {
      STORE_ASSIGN_OR_RETURN(std::string lo, DayStartParam(tp.day, v.pos));
      STORE_ASSIGN_OR_RETURN(std::string hi, DayStartParam(tp.day + 1, v.pos));
      return absl::StrCat("(", f.expr, " >= ", lo, " AND ", f.expr, " < ", hi, ")");
    }
    if (!tp.is_day) {
      STORE_ASSIGN_OR_RETURN(std::string p, InstantParam(tp.instant, v.pos));
      return absl::StrCat("(", f.expr, " ", SqlOp(node.op), " ", p, ")");
    }
    // A whole day: < and BEFORE its start; >= its start; > and AFTER the next
    // day's start; <= below the next day's start.
    const bool below = node.op == Op::kLt || node.op == Op::kBefore || node.op == Op::kLe;
    const bool next_day = node.op == Op::kGt || node.op == Op::kAfter || node.op == Op::kLe;
    const absl::string_view op = below ? "<" : ">=";
    STORE_ASSIGN_OR_RETURN(std::string p, DayStartParam(next_day ? tp.day + 1 : tp.day, v.pos));
    return absl::StrCat("(", f.expr, " ", op, " ", p, ")");
  }

  const SegmentContext& ctx_;
  const absl::CivilSecond now_civil_;
  const absl::CivilDay today_;
  std::vector<std::string> params_;
};

}  // namespace

absl::StatusOr<CompiledSegment> CompileSegmentRule(absl::string_view rule,
                                                   const SegmentContext& ctx) {
  if (ctx.currency_exponent < 0 || ctx.currency_exponent > 4) {
    return absl::InvalidArgumentError("segment context: currency_exponent must be 0..4");
  }
  if (ctx.first_param < 1 || ctx.first_param > 65535) {
    return absl::InvalidArgumentError("segment context: first_param must be 1..65535");
  }
  if (ctx.now == absl::InfiniteFuture() || ctx.now == absl::InfinitePast()) {
    return absl::InvalidArgumentError("segment context: now must be a finite time");
  }
  STORE_ASSIGN_OR_RETURN(Node root, Parse(rule));
  Compiler compiler(ctx);
  CompiledSegment out;
  STORE_ASSIGN_OR_RETURN(out.where_sql, compiler.Compile(root));
  out.params = compiler.TakeParams();
  return out;
}

}  // namespace store::customer

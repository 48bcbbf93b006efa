// libFuzzer entry for the segment rule language: arbitrary bytes are parsed
// and compiled with a fixed field catalogue and a fixed now. It must never
// crash, and whatever compiles must be safe SQL: only words of the compiler's
// own vocabulary, no quote, every placeholder backed by a parameter.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "libs/core/status.h"
#include "services/customer/store/segment_sql.h"

namespace {

using store::customer::CompiledSegment;
using store::customer::CustomFieldType;
using store::customer::SegmentContext;

constexpr int kFirstParam = 3;

const SegmentContext& Context() {
  static const SegmentContext* const kContext = [] {
    auto* ctx = new SegmentContext();
    ctx->now = absl::FromCivil(absl::CivilSecond(2026, 11, 22, 10, 0, 0), absl::UTCTimeZone());
    ctx->currency_exponent = 2;
    ctx->first_param = kFirstParam;
    ctx->custom_fields = {
        {"birthday", CustomFieldType::kDate, {}},
        {"shoe_size", CustomFieldType::kNumber, {}},
        {"nickname", CustomFieldType::kText, {}},
        {"size", CustomFieldType::kChoice, {"S", "M", "L", "XL"}},
    };
    return ctx;
  }();
  return *kContext;
}

// Every word the compiler may write: SQL keywords, functions, casts, the
// aliases and the catalogue's columns.
const absl::flat_hash_set<std::string>& Vocabulary() {
  static const auto* const kWords = new absl::flat_hash_set<std::string>{"AND",
                                                                         "OR",
                                                                         "NOT",
                                                                         "COALESCE",
                                                                         "false",
                                                                         "IN",
                                                                         "IS",
                                                                         "NULL",
                                                                         "SELECT",
                                                                         "FROM",
                                                                         "WHERE",
                                                                         "lower",
                                                                         "strpos",
                                                                         "length",
                                                                         "bigint",
                                                                         "numeric",
                                                                         "date",
                                                                         "text",
                                                                         "timestamptz",
                                                                         "boolean",
                                                                         "c",
                                                                         "g",
                                                                         "id",
                                                                         "name",
                                                                         "customer_groups",
                                                                         "custom",
                                                                         "total_spent",
                                                                         "wallet_balance",
                                                                         "orders_count",
                                                                         "first_order_at",
                                                                         "last_order_at",
                                                                         "created_at",
                                                                         "accepts_marketing",
                                                                         "email_verified",
                                                                         "tax_exempt",
                                                                         "blocked",
                                                                         "guest",
                                                                         "active",
                                                                         "country",
                                                                         "email",
                                                                         "group_id",
                                                                         "0"};
  return *kWords;
}

[[noreturn]] void Fail(absl::string_view what, absl::string_view rule, const CompiledSegment& c) {
  std::cerr << "segment_rule_fuzz: " << what << "\nrule: " << rule << "\nsql: " << c.where_sql
            << "\n";
  std::abort();
}

void CheckSql(absl::string_view rule, const CompiledSegment& c) {
  const std::string& sql = c.where_sql;
  if (sql.empty()) Fail("empty SQL", rule, c);
  int depth = 0;
  size_t i = 0;
  while (i < sql.size()) {
    const char ch = sql[i];
    if (ch == '\'' || ch == '"' || ch == ';' || ch == '\\') Fail("quote or ; in SQL", rule, c);
    if (ch == '-' && i + 1 < sql.size() && sql[i + 1] == '-') Fail("comment in SQL", rule, c);
    if (ch == '/' && i + 1 < sql.size() && sql[i + 1] == '*') Fail("comment in SQL", rule, c);
    if (ch == '(') ++depth;
    if (ch == ')' && --depth < 0) Fail("unbalanced parentheses", rule, c);
    if (ch == '$') {
      // A placeholder: $n with first <= n < first + params.
      size_t end = i + 1;
      while (end < sql.size() && absl::ascii_isdigit(sql[end])) ++end;
      int n = 0;
      if (!absl::SimpleAtoi(absl::string_view(sql).substr(i + 1, end - i - 1), &n) ||
          n < kFirstParam || n >= kFirstParam + static_cast<int>(c.params.size())) {
        Fail("placeholder out of range", rule, c);
      }
      if (sql.compare(end, 2, "::") != 0) Fail("placeholder without a cast", rule, c);
      i = end;
      continue;
    }
    if (absl::ascii_isalnum(ch) || ch == '_') {
      size_t end = i;
      while (end < sql.size() && (absl::ascii_isalnum(sql[end]) || sql[end] == '_')) ++end;
      if (!Vocabulary().contains(sql.substr(i, end - i))) {
        Fail("a word outside the compiler's vocabulary", rule, c);
      }
      i = end;
      continue;
    }
    if (std::strchr(" (),.:=<>-", ch) == nullptr) Fail("unexpected character in SQL", rule, c);
    ++i;
  }
  if (depth != 0) Fail("unbalanced parentheses", rule, c);
  // Every parameter is used.
  for (size_t p = 0; p < c.params.size(); ++p) {
    const std::string placeholder = "$" + std::to_string(kFirstParam + p) + "::";
    if (sql.find(placeholder) == std::string::npos) Fail("unused parameter", rule, c);
  }
}

void CheckError(absl::string_view rule, const absl::Status& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument) std::abort();
  std::optional<store::common::v1::ErrorInfo> info = store::GetErrorInfo(status);
  if (!info.has_value() || info->reason() != "SEGMENT_RULE_INVALID" || info->field() != "rule") {
    std::abort();
  }
  int line = 0, column = 0, offset = -1;
  const auto& md = info->metadata();
  if (!md.contains("line") || !md.contains("column") || !md.contains("offset") ||
      !absl::SimpleAtoi(md.at("line"), &line) || !absl::SimpleAtoi(md.at("column"), &column) ||
      !absl::SimpleAtoi(md.at("offset"), &offset) || line < 1 || column < 1 || offset < 0 ||
      static_cast<size_t>(offset) > rule.size()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view rule(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<CompiledSegment> compiled = store::customer::CompileSegmentRule(rule, Context());
  absl::StatusOr<std::vector<std::string>> fields = store::customer::SegmentRuleFields(rule);
  absl::StatusOr<bool> relative = store::customer::SegmentRuleIsTimeRelative(rule);
  if (fields.ok() != relative.ok()) std::abort();
  if (!compiled.ok()) {
    CheckError(rule, compiled.status());
    return 0;
  }
  // What compiles also parses.
  if (!fields.ok() || fields->empty()) std::abort();
  CheckSql(rule, *compiled);
  return 0;
}

// The customer segment rule language (CUS-08): a store owner's rule such as
// `total_spent > 5000 and last_order_at within 30 days`. Here: the language,
// its lexer and parser (the tree: segment_rule_tree.h). Pure: no I/O. The
// compiler to a parameterised SQL condition over the customers table is
// CompileSegmentRule in services/customer/store/segment_sql.h.
//
// ## Examples
//
//   total_spent > 5000                  # spent more than 5000 (major units, store currency)
//   last_order_at within 30 days        # bought in the last 30 days
//   last_order_at before 6 months ago   # ordered before, but not in the last 6 months
//   accepts_marketing = true            # newsletter subscribers (or: accepts_marketing)
//   orders_count = 1                    # first-time buyers
//   last_order_at on 2 days ago         # ordered on that UTC calendar day
//   group = "VIP" and (country in ("DE", "AT") or not tax_exempt)
//   custom.shoe_size >= 42
//   name contains "smith"
//   last_order_at is not set            # never ordered
//   created_at after 2026-01-01         # created on 2026-01-02 or later
//
// ## Grammar
//
// Keywords and units are case-insensitive (AND, and, And). Built-in field names
// are case-insensitive too; the key of a custom field is matched exactly.
// `#` starts a comment that runs to the end of the line. AND binds tighter
// than OR: `a or b and c` is `a or (b and c)`.
//
//   expr       := or_expr
//   or_expr    := and_expr ( OR and_expr )*
//   and_expr   := unary ( AND unary )*
//   unary      := NOT unary | '(' expr ')' | predicate
//   predicate  := field op value
//               | field IN '(' value ( ',' value )* ')'
//               | field NOT IN '(' value ( ',' value )* ')'
//               | field CONTAINS string          (text fields: case-insensitive substring)
//               | field IS SET | field IS NOT SET
//               | time_field WITHIN n unit      (from now - n unit up to now, inclusive)
//               | time_field BEFORE time_value | time_field AFTER time_value
//               | time_field ON day_value       (the whole UTC calendar day)
//               | bool_field                    (short for bool_field = true)
//   op         := '=' | '!=' | '<' | '<=' | '>' | '>='
//   time_value := date | n unit AGO | TODAY | YESTERDAY | NOW
//   day_value  := date | n unit AGO | TODAY | YESTERDAY     (unit other than hours)
//   unit       := hour(s) | day(s) | week(s) | month(s) | year(s)
//   value      := number | string | TRUE | FALSE | date | time_value
//   number     := -?[0-9]+(.[0-9]+)?            (no exponent, no thousands separator)
//   string     := "..."                         (double quotes; escapes \" and \\ only;
//                                                one line, no control characters)
//   date       := YYYY-MM-DD                    (a real calendar date)
//   n          := a whole number 0..100000
//
// ## Fields
//
//   total_spent, wallet_balance            money: = != < <= > >= IN; the number is in MAJOR
//                                          units of the store currency, converted exactly to
//                                          minor units (12.50 -> 1250 for an exponent of 2);
//                                          more decimals than the currency has is an error
//   orders_count                           integer: = != < <= > >= IN
//   first_order_at, last_order_at,         time: < <= > >= BEFORE AFTER ON WITHIN
//   created_at
//   accepts_marketing, email_verified,     bool: = != (TRUE or FALSE), or the bare field name
//   tax_exempt, blocked, guest, active
//   country                                ISO 3166 alpha-2 code, upper-cased: = != IN
//   email, name                            text, case-insensitive: = != IN CONTAINS
//   group                                  the customer group's name, case-insensitive: = != IN
//   custom.<key>                           a custom field, by its definition's type:
//                                          text (as email), number (as orders_count, decimals
//                                          allowed), date (as a time field, day by day), choice
//                                          (= != IN, the value must be one of the choices)
//   Every field also takes IS SET / IS NOT SET (text: set means non-empty). NOT IN is
//   accepted wherever IN is.
//
// ## Times
//
// All days are UTC calendar days. `n units ago` is an instant: now minus n
// units; months and years are calendar months (2026-03-31 minus 1 month is
// 2026-02-28, clamped to the end of the month). A date, TODAY and YESTERDAY
// stand for a whole day, so BEFORE/AFTER exclude that day and ON is exactly it:
//   x before 2026-01-01   x < 2026-01-01T00:00Z          x < 30 days ago   x < now - 30 days
//   x after 2026-01-01    x >= 2026-01-02T00:00Z         x > 30 days ago   x > now - 30 days
//   x on 2026-01-01       2026-01-01T00:00Z <= x < 2026-01-02T00:00Z
//   x >= 2026-01-01       x >= 2026-01-01T00:00Z         x <= 2026-01-01   x < 2026-01-02T00:00Z
//   x within 30 days      now - 30 days <= x <= now
// `on n units ago` is the calendar day that instant falls on. A custom date
// field holds a date, so every time value is taken as its UTC day there.
// (`custom.birthday on today` means the stored date is today's date, not an
// anniversary.)
//
// ## Missing values (SQL NULL)
//
// A comparison, BEFORE/AFTER/ON/WITHIN, IN or CONTAINS on a field that is not
// set (a NULL column, a missing custom key) does not match. `!=` and NOT IN
// are the exact negations of `=` and IN, so they DO match a customer whose
// field is not set (e.g. `group != "VIP"` includes customers without a group,
// and customers whose group no longer exists). NOT p matches exactly the
// customers p does not match, including those for which p is unknown
// because a field is not set: it compiles to NOT COALESCE(p, false). So
// `not last_order_at within 30 days` includes customers who never ordered.
// The compiled condition itself may still evaluate to NULL, which means "no
// match": use it in WHERE, or wrap it in COALESCE(.., false).
//
// ## Limits and errors
//
// A rule has at most 4000 characters and at most 32 levels of nested
// parentheses and NOTs. Errors are INVALID_ARGUMENT with ErrorInfo reason
// SEGMENT_RULE_INVALID, field "rule", metadata line and column (1-based; the
// column counts characters) and offset (0-based, in bytes), and a message
// like `rule: at 1:15: expected a number for total_spent after '>' but found "abc"`.
//
// ## SQL
//
// The condition reads the customers table under the alias `c` (and
// customer_groups under `g` for group). No text of the rule ever appears in
// the SQL: every literal, including numbers, booleans and custom field keys,
// is a parameter ($n with an explicit cast in the SQL; custom field keys are
// passed as $n::text to ->>). Custom number and date fields are cast with
// ::numeric and ::date, so their stored values must be valid numbers and dates.
#ifndef STORE_SERVICES_CUSTOMER_DOMAIN_SEGMENT_RULE_H_
#define STORE_SERVICES_CUSTOMER_DOMAIN_SEGMENT_RULE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace store::customer {

inline constexpr int kMaxSegmentRuleLength = 4000;  // characters
inline constexpr int kMaxSegmentRuleDepth = 32;     // nested parentheses and NOTs

enum class CustomFieldType { kText, kNumber, kDate, kChoice };

// A store's custom customer field, stored under `key` in customers.custom
// (jsonb).
struct CustomFieldDef {
  std::string key;
  CustomFieldType type = CustomFieldType::kText;
  std::vector<std::string> choices;  // kChoice only
};

// The fields `rule` uses, each once, in order of first use: built-in names
// lower-cased ("total_spent"), custom fields as "custom.<key>". Checks the
// syntax and the built-in names only (custom keys need a SegmentContext).
absl::StatusOr<std::vector<std::string>> SegmentRuleFields(absl::string_view rule);

// True when the rule's result can change with time alone (it uses WITHIN,
// AGO, TODAY, YESTERDAY or NOW), so a stored segment must be re-evaluated
// periodically. `created_at after 2026-01-01` is not time-relative. Checks
// the syntax only, as SegmentRuleFields.
absl::StatusOr<bool> SegmentRuleIsTimeRelative(absl::string_view rule);

}  // namespace store::customer

#endif  // STORE_SERVICES_CUSTOMER_DOMAIN_SEGMENT_RULE_H_

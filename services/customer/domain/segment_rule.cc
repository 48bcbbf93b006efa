#include "services/customer/domain/segment_rule.h"

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
#include "libs/core/utf8.h"

namespace store::customer {
namespace {

constexpr absl::string_view kReason = "SEGMENT_RULE_INVALID";
constexpr int64_t kMaxCount = 100000;  // n in "n units ago" and "within n units"
constexpr size_t kMaxShown = 40;       // bytes of rule text quoted in a message

// ---------------------------------------------------------------------------
// Positions and errors

struct Pos {
  int offset = 0;  // bytes, 0-based
  int line = 1;    // 1-based
  int column = 1;  // characters, 1-based
};

bool IsContinuationByte(unsigned char c) { return (c & 0xC0) == 0x80; }

Pos PosAt(absl::string_view text, size_t offset) {
  Pos pos;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    const unsigned char c = text[i];
    if (c == '\n') {
      ++pos.line;
      pos.column = 1;
    } else if (!IsContinuationByte(c)) {
      ++pos.column;
    }
  }
  pos.offset = static_cast<int>(std::min(offset, text.size()));
  return pos;
}

absl::Status RuleError(const Pos& pos, absl::string_view message) {
  return MakeError(absl::StatusCode::kInvalidArgument, kReason, "rule",
                   absl::StrCat("rule: at ", pos.line, ":", pos.column, ": ", message),
                   {{"line", absl::StrCat(pos.line)},
                    {"column", absl::StrCat(pos.column)},
                    {"offset", absl::StrCat(pos.offset)}});
}

// Rule text for a message: at most kMaxShown bytes, cut on a character
// boundary, invalid bytes escaped.
std::string Shown(absl::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (out.size() >= kMaxShown) {
      absl::StrAppend(&out, "...");
      break;
    }
    const size_t n = ValidUtf8SequenceAt(text, i);
    const unsigned char c = text[i];
    if (n == 0 || (n == 1 && (c < 0x20 || c == 0x7F))) {
      absl::StrAppend(&out, absl::StrFormat("\\x%02X", c));
      ++i;
    } else {
      absl::StrAppend(&out, text.substr(i, n));
      i += n;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Lexer

enum class Tok { kIdent, kNumber, kString, kDate, kOp, kLParen, kRParen, kComma, kEnd, kError };

struct Token {
  Tok kind = Tok::kEnd;
  absl::string_view text;  // the source text
  std::string value;       // kString: the decoded string; kError: the message
  absl::CivilDay day;      // kDate
  Pos pos;
};

bool IsIdentStart(char c) { return absl::ascii_isalpha(c) || c == '_'; }
bool IsIdentChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '.'; }

class Lexer {
 public:
  explicit Lexer(absl::string_view src) : src_(src) {}

  // All tokens, ending with kEnd, or with kError at the first bad character.
  std::vector<Token> Run() {
    std::vector<Token> tokens;
    while (true) {
      SkipSpaceAndComments();
      Token t = Lex();
      const Tok kind = t.kind;
      tokens.push_back(std::move(t));
      if (kind == Tok::kEnd || kind == Tok::kError) return tokens;
    }
  }

 private:
  char At(size_t i) const { return i < src_.size() ? src_[i] : '\0'; }

  void Advance(size_t n) {
    for (size_t k = 0; k < n && pos_.offset < static_cast<int>(src_.size()); ++k) {
      const unsigned char c = src_[pos_.offset];
      if (c == '\n') {
        ++pos_.line;
        pos_.column = 1;
      } else if (!IsContinuationByte(c)) {
        ++pos_.column;
      }
      ++pos_.offset;
    }
  }

  size_t Offset() const { return static_cast<size_t>(pos_.offset); }

  void SkipSpaceAndComments() {
    while (Offset() < src_.size()) {
      const char c = src_[Offset()];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
        Advance(1);
      } else if (c == '#') {
        while (Offset() < src_.size() && src_[Offset()] != '\n') Advance(1);
      } else {
        return;
      }
    }
  }

  Token Make(Tok kind, size_t length) {
    Token t;
    t.kind = kind;
    t.pos = pos_;
    t.text = src_.substr(Offset(), length);
    Advance(length);
    return t;
  }

  static Token Error(const Pos& pos, std::string message) {
    Token t;
    t.kind = Tok::kError;
    t.pos = pos;
    t.value = std::move(message);
    return t;
  }

  Token Lex() {
    const size_t start = Offset();
    if (start >= src_.size()) return Make(Tok::kEnd, 0);
    const char c = src_[start];
    if (IsIdentStart(c)) {
      size_t end = start;
      while (IsIdentChar(At(end))) ++end;
      return Make(Tok::kIdent, end - start);
    }
    if (absl::ascii_isdigit(c) || (c == '-' && absl::ascii_isdigit(At(start + 1)))) {
      return LexNumberOrDate();
    }
    if (c == '"') return LexString();
    switch (c) {
      case '(':
        return Make(Tok::kLParen, 1);
      case ')':
        return Make(Tok::kRParen, 1);
      case ',':
        return Make(Tok::kComma, 1);
      case '=':
        return Make(Tok::kOp, 1);
      case '<':
      case '>':
        return Make(Tok::kOp, At(start + 1) == '=' ? 2 : 1);
      case '!':
        if (At(start + 1) == '=') return Make(Tok::kOp, 2);
        return Error(pos_, "unexpected character '!' (use != or NOT)");
      case '\'':
        return Error(pos_, "strings are written in double quotes: \"text\"");
      default:
        break;
    }
    const size_t n = ValidUtf8SequenceAt(src_, start);
    return Error(pos_, absl::StrCat("unexpected character '",
                                    Shown(src_.substr(start, n == 0 ? 1 : n)), "'"));
  }

  Token LexNumberOrDate() {
    const size_t start = Offset();
    size_t end = start;
    if (At(end) == '-') ++end;
    while (absl::ascii_isdigit(At(end))) ++end;
    if (src_[start] != '-' && At(end) == '-' && absl::ascii_isdigit(At(end + 1))) {
      // A date: YYYY-MM-DD.
      while (absl::ascii_isdigit(At(end)) || At(end) == '-') ++end;
      absl::string_view text = src_.substr(start, end - start);
      int y = 0, m = 0, d = 0;
      const bool shape = text.size() == 10 && text[4] == '-' && text[7] == '-' &&
                         absl::SimpleAtoi(text.substr(0, 4), &y) &&
                         absl::SimpleAtoi(text.substr(5, 2), &m) &&
                         absl::SimpleAtoi(text.substr(8, 2), &d);
      const absl::CivilDay day(y, m, d);
      if (!shape || y < 1 || day.year() != y || day.month() != m || day.day() != d) {
        return Error(pos_,
                     absl::StrCat("\"", Shown(text),
                                  "\" is not a valid date (write YYYY-MM-DD, e.g. 2026-01-31)"));
      }
      Token t = Make(Tok::kDate, end - start);
      t.day = day;
      return t;
    }
    if (At(end) == '.') {
      if (!absl::ascii_isdigit(At(end + 1))) {
        return Error(pos_, absl::StrCat("expected digits after the decimal point in \"",
                                        Shown(src_.substr(start, end + 1 - start)), "\""));
      }
      ++end;
      while (absl::ascii_isdigit(At(end))) ++end;
    }
    return Make(Tok::kNumber, end - start);
  }

  Token LexString() {
    const Pos open = pos_;
    const size_t start = Offset();
    std::string value;
    size_t i = start + 1;
    while (true) {
      if (i >= src_.size() || src_[i] == '\n' || src_[i] == '\r') {
        return Error(open, "unterminated string (a string ends with \" on the same line)");
      }
      const unsigned char c = src_[i];
      if (c == '"') break;
      if (c == '\\') {
        const char e = At(i + 1);
        if (e == '"' || e == '\\') {
          value.push_back(e);
          i += 2;
          continue;
        }
        if (i + 1 >= src_.size() || e == '\n' || e == '\r') {
          return Error(open, "unterminated string (a string ends with \" on the same line)");
        }
        return Error(PosAt(src_, i), "unknown escape in string (only \\\" and \\\\ are allowed)");
      }
      if (c < 0x20 || c == 0x7F) {
        return Error(PosAt(src_, i), "control characters are not allowed in strings");
      }
      const size_t n = ValidUtf8SequenceAt(src_, i);
      if (n == 0) return Error(PosAt(src_, i), "invalid UTF-8 in string");
      value.append(src_.data() + i, n);
      i += n;
    }
    Token t = Make(Tok::kString, i + 1 - start);
    t.value = std::move(value);
    return t;
  }

  absl::string_view src_;
  Pos pos_;
};

// ---------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------
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

struct Builtin {
  absl::string_view name;
  Type type;
  absl::string_view column;
};

constexpr Builtin kBuiltins[] = {
    {"total_spent", Type::kMoney, "c.total_spent"},
    {"wallet_balance", Type::kMoney, "c.wallet_balance"},
    {"orders_count", Type::kInteger, "c.orders_count"},
    {"first_order_at", Type::kTime, "c.first_order_at"},
    {"last_order_at", Type::kTime, "c.last_order_at"},
    {"created_at", Type::kTime, "c.created_at"},
    {"accepts_marketing", Type::kBool, "c.accepts_marketing"},
    {"email_verified", Type::kBool, "c.email_verified"},
    {"tax_exempt", Type::kBool, "c.tax_exempt"},
    {"blocked", Type::kBool, "c.blocked"},
    {"guest", Type::kBool, "c.guest"},
    {"active", Type::kBool, "c.active"},
    {"country", Type::kCountry, "c.country"},
    {"email", Type::kText, "c.email"},
    {"name", Type::kText, "c.name"},
    {"group", Type::kGroup, "c.group_id"},
};

constexpr absl::string_view kCustomPrefix = "custom.";

const Builtin* FindBuiltin(absl::string_view name) {
  for (const Builtin& b : kBuiltins) {
    if (absl::EqualsIgnoreCase(b.name, name)) return &b;
  }
  return nullptr;
}

bool IsCustomName(absl::string_view name) {
  return name.size() > kCustomPrefix.size() && absl::StartsWithIgnoreCase(name, kCustomPrefix);
}

std::string KnownFields() {
  std::vector<absl::string_view> names;
  for (const Builtin& b : kBuiltins) names.push_back(b.name);
  return absl::StrCat(absl::StrJoin(names, ", "), ", custom.<key>");
}

// "total_spent" or "custom.<key>", as SegmentRuleFields reports it.
std::string CanonicalField(absl::string_view name) {
  if (const Builtin* b = FindBuiltin(name)) return std::string(b->name);
  return absl::StrCat(kCustomPrefix, name.substr(kCustomPrefix.size()));
}

absl::string_view TypeName(Type type) {
  switch (type) {
    case Type::kMoney:
      return "a money field";
    case Type::kInteger:
      return "an integer field";
    case Type::kTime:
      return "a time field";
    case Type::kBool:
      return "a true/false field";
    case Type::kCountry:
      return "a country field";
    case Type::kText:
      return "a text field";
    case Type::kGroup:
      return "the group field";
    case Type::kCustomText:
      return "a custom text field";
    case Type::kCustomNumber:
      return "a custom number field";
    case Type::kCustomDate:
      return "a custom date field";
    case Type::kCustomChoice:
      return "a custom choice field";
  }
  return "a field";
}

absl::string_view AllowedOps(Type type) {
  switch (type) {
    case Type::kMoney:
    case Type::kInteger:
    case Type::kCustomNumber:
      return "=, !=, <, <=, >, >=, IN, NOT IN, IS SET";
    case Type::kTime:
      return "<, <=, >, >=, BEFORE, AFTER, ON, WITHIN, IS SET";
    case Type::kCustomDate:
      return "=, !=, <, <=, >, >=, BEFORE, AFTER, ON, WITHIN, IS SET";
    case Type::kBool:
      return "=, !=, IS SET";
    case Type::kCountry:
    case Type::kGroup:
    case Type::kCustomChoice:
      return "=, !=, IN, NOT IN, IS SET";
    case Type::kText:
    case Type::kCustomText:
      return "=, !=, IN, NOT IN, CONTAINS, IS SET";
  }
  return "";
}

bool OpAllowed(Type type, Op op) {
  if (op == Op::kIsSet || op == Op::kIsNotSet) return true;
  const bool eq = op == Op::kEq || op == Op::kNe;
  const bool order = op == Op::kLt || op == Op::kLe || op == Op::kGt || op == Op::kGe;
  const bool in = op == Op::kIn || op == Op::kNotIn;
  const bool time = op == Op::kBefore || op == Op::kAfter || op == Op::kOn || op == Op::kWithin;
  switch (type) {
    case Type::kMoney:
    case Type::kInteger:
    case Type::kCustomNumber:
      return eq || order || in;
    case Type::kTime:
      return order || time;
    case Type::kCustomDate:
      return eq || order || time;
    case Type::kBool:
      return eq || op == Op::kBare;
    case Type::kCountry:
    case Type::kGroup:
    case Type::kCustomChoice:
      return eq || in;
    case Type::kText:
    case Type::kCustomText:
      return eq || in || op == Op::kContains;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Parser

constexpr absl::string_view kReserved[] = {
    "and",   "or", "not", "in",    "contains",  "is",  "set",  "within", "before",
    "after", "on", "ago", "today", "yesterday", "now", "true", "false",
};

bool IsWord(const Token& t, absl::string_view word) {
  return t.kind == Tok::kIdent && absl::EqualsIgnoreCase(t.text, word);
}

bool IsReserved(const Token& t) {
  for (absl::string_view w : kReserved) {
    if (IsWord(t, w)) return true;
  }
  return false;
}

std::optional<Unit> UnitOf(const Token& t) {
  if (t.kind != Tok::kIdent) return std::nullopt;
  struct Entry {
    absl::string_view singular;
    Unit unit;
  };
  static constexpr Entry kUnits[] = {{"hour", Unit::kHour},
                                     {"day", Unit::kDay},
                                     {"week", Unit::kWeek},
                                     {"month", Unit::kMonth},
                                     {"year", Unit::kYear}};
  for (const Entry& e : kUnits) {
    if (absl::EqualsIgnoreCase(t.text, e.singular) ||
        (t.text.size() == e.singular.size() + 1 && absl::StartsWithIgnoreCase(t.text, e.singular) &&
         absl::ascii_tolower(t.text.back()) == 's')) {
      return e.unit;
    }
  }
  return std::nullopt;
}

constexpr absl::string_view kUnitsHint = "hours, days, weeks, months or years";

std::string Describe(const Token& t) {
  switch (t.kind) {
    case Tok::kEnd:
      return "the end of the rule";
    case Tok::kIdent:
      if (IsReserved(t)) return absl::AsciiStrToUpper(t.text);
      return absl::StrCat("\"", Shown(t.text), "\"");
    case Tok::kString:
    case Tok::kNumber:
    case Tok::kDate:
      return Shown(t.text);
    case Tok::kOp:
    case Tok::kLParen:
    case Tok::kRParen:
    case Tok::kComma:
      return absl::StrCat("'", t.text, "'");
    case Tok::kError:
      break;
  }
  return "an invalid token";
}

class Parser {
 public:
  explicit Parser(absl::string_view src) : tokens_(Lexer(src).Run()) {}

  absl::StatusOr<Node> ParseRule() {
    if (Peek().kind == Tok::kEnd) return RuleError(Pos(), "the rule is empty");
    STORE_ASSIGN_OR_RETURN(Node root, ParseOr(0));
    if (Peek().kind != Tok::kEnd) return Unexpected(Peek(), "AND, OR or the end of the rule");
    return root;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(i_ + ahead, tokens_.size() - 1)];
  }
  const Token& Next() {
    const Token& t = tokens_[i_];
    if (i_ + 1 < tokens_.size()) ++i_;
    return t;
  }

  static absl::Status Unexpected(const Token& t, absl::string_view expected) {
    if (t.kind == Tok::kError) return RuleError(t.pos, t.value);
    return RuleError(t.pos, absl::StrCat("expected ", expected, " but found ", Describe(t)));
  }

  absl::StatusOr<Node> ParseOr(int depth) { return ParseChain(depth, "or", Node::Kind::kOr); }

  absl::StatusOr<Node> ParseAnd(int depth) { return ParseChain(depth, "and", Node::Kind::kAnd); }

  // or_expr and and_expr: operands joined by `word`, kept flat.
  absl::StatusOr<Node> ParseChain(int depth, absl::string_view word, Node::Kind kind) {
    std::vector<Node> operands;
    while (true) {
      absl::StatusOr<Node> operand = kind == Node::Kind::kOr ? ParseAnd(depth) : ParseUnary(depth);
      if (!operand.ok()) return operand.status();
      operands.push_back(*std::move(operand));
      if (!IsWord(Peek(), word)) break;
      Next();
    }
    if (operands.size() == 1) return std::move(operands[0]);
    Node node;
    node.kind = kind;
    node.children = std::move(operands);
    return node;
  }

  absl::StatusOr<Node> ParseUnary(int depth) {
    const Token& t = Peek();
    const bool is_not = IsWord(t, "not");
    if (is_not || t.kind == Tok::kLParen) {
      if (depth >= kMaxSegmentRuleDepth) {
        return RuleError(t.pos, absl::StrCat("the rule nests parentheses and NOTs deeper than ",
                                             kMaxSegmentRuleDepth, " levels"));
      }
      Next();
      if (is_not) {
        Node node;
        node.kind = Node::Kind::kNot;
        STORE_ASSIGN_OR_RETURN(Node operand, ParseUnary(depth + 1));
        node.children.push_back(std::move(operand));
        return node;
      }
      STORE_ASSIGN_OR_RETURN(Node inner, ParseOr(depth + 1));
      if (Peek().kind != Tok::kRParen) return Unexpected(Peek(), "AND, OR or ')'");
      Next();
      return inner;
    }
    return ParsePredicate();
  }

  absl::StatusOr<Node> ParsePredicate() {
    const Token& f = Peek();
    if (f.kind != Tok::kIdent || IsReserved(f)) return Unexpected(f, "a field, NOT or '('");
    const Builtin* builtin = FindBuiltin(f.text);
    if (builtin == nullptr && !IsCustomName(f.text)) {
      if (absl::EqualsIgnoreCase(f.text, "custom") ||
          absl::EqualsIgnoreCase(f.text, kCustomPrefix)) {
        return RuleError(f.pos, "a custom field is written custom.<key>, e.g. custom.birthday");
      }
      return RuleError(f.pos, absl::StrCat("unknown field \"", Shown(f.text), "\"; the fields are ",
                                           KnownFields()));
    }
    Node node;
    node.field = f.text;
    node.field_pos = f.pos;
    Next();
    const Token& t = Peek();
    node.op_pos = t.pos;
    if (t.kind == Tok::kOp) {
      static constexpr std::pair<absl::string_view, Op> kOps[] = {{"=", Op::kEq}, {"!=", Op::kNe},
                                                                  {"<", Op::kLt}, {"<=", Op::kLe},
                                                                  {">", Op::kGt}, {">=", Op::kGe}};
      for (const auto& [text, op] : kOps) {
        if (t.text == text) node.op = op;
      }
      node.op_name = absl::StrCat("'", t.text, "'");
      Next();
      STORE_RETURN_IF_ERROR(ParseValueInto(node, absl::StrCat("after ", node.op_name)));
    } else if (IsWord(t, "in") || IsWord(t, "not")) {
      node.op = IsWord(t, "in") ? Op::kIn : Op::kNotIn;
      node.op_name = node.op == Op::kIn ? "IN" : "NOT IN";
      Next();
      if (node.op == Op::kNotIn) {
        if (!IsWord(Peek(), "in")) {
          return Unexpected(Peek(),
                            "IN after NOT (to negate a condition, put NOT before the field)");
        }
        Next();
      }
      if (Peek().kind != Tok::kLParen) {
        return Unexpected(Peek(), absl::StrCat("'(' after ", node.op_name));
      }
      Next();
      const std::string where = absl::StrCat("in the ", node.op_name, " list");
      while (true) {
        STORE_RETURN_IF_ERROR(ParseValueInto(node, where));
        if (Peek().kind == Tok::kRParen) break;
        if (Peek().kind != Tok::kComma) return Unexpected(Peek(), "',' or ')'");
        Next();
      }
      Next();
    } else if (IsWord(t, "contains") || IsWord(t, "before") || IsWord(t, "after") ||
               IsWord(t, "on")) {
      node.op = IsWord(t, "contains") ? Op::kContains
                : IsWord(t, "before") ? Op::kBefore
                : IsWord(t, "after")  ? Op::kAfter
                                      : Op::kOn;
      node.op_name = absl::AsciiStrToUpper(t.text);
      Next();
      STORE_RETURN_IF_ERROR(ParseValueInto(node, absl::StrCat("after ", node.op_name)));
    } else if (IsWord(t, "is")) {
      Next();
      node.op = Op::kIsSet;
      node.op_name = "IS SET";
      if (IsWord(Peek(), "not")) {
        Next();
        node.op = Op::kIsNotSet;
        node.op_name = "IS NOT SET";
      }
      if (!IsWord(Peek(), "set")) {
        return Unexpected(Peek(), node.op == Op::kIsSet ? "SET or NOT SET after IS" : "SET");
      }
      Next();
    } else if (IsWord(t, "within")) {
      node.op = Op::kWithin;
      node.op_name = "WITHIN";
      Next();
      if (Peek().kind != Tok::kNumber) {
        return Unexpected(Peek(), "a number of hours, days, weeks, months or years after WITHIN");
      }
      const Token& n = Next();
      Value v;
      v.kind = Value::Kind::kAgo;
      v.pos = n.pos;
      STORE_RETURN_IF_ERROR(ParseCountAndUnit(n, &v));
      node.values.push_back(std::move(v));
    } else if (builtin != nullptr && builtin->type == Type::kBool) {
      node.op = Op::kBare;
      node.op_name = "a bare field name";
    } else {
      return Unexpected(t, absl::StrCat("an operator after ", Shown(f.text)));
    }
    return node;
  }

  // The unit after the count `n` (already consumed) into `v`, with count.
  absl::Status ParseCountAndUnit(const Token& n, Value* v) {
    int64_t count = -1;
    if (!absl::SimpleAtoi(n.text, &count) || count < 0 || count > kMaxCount) {
      return RuleError(n.pos, absl::StrCat("expected a whole number 0..", kMaxCount,
                                           " of units but found ", Shown(n.text)));
    }
    const Token& u = Peek();
    std::optional<Unit> unit = UnitOf(u);
    if (!unit.has_value()) {
      if (u.kind == Tok::kIdent && !IsReserved(u)) {
        return RuleError(
            u.pos, absl::StrCat("unknown unit \"", Shown(u.text), "\"; expected ", kUnitsHint));
      }
      return Unexpected(u, absl::StrCat("a unit (", kUnitsHint, ") after ", n.text));
    }
    Next();
    v->count = count;
    v->unit = *unit;
    v->source = absl::string_view(n.text.data(), u.text.data() + u.text.size() - n.text.data());
    return absl::OkStatus();
  }

  absl::Status ParseValueInto(Node& node, absl::string_view where) {
    const Token& t = Peek();
    Value v;
    v.pos = t.pos;
    v.source = t.text;
    switch (t.kind) {
      case Tok::kNumber: {
        Next();
        const Token& u = Peek();
        const bool unit_follows =
            UnitOf(u).has_value() ||
            (u.kind == Tok::kIdent && !IsReserved(u) && IsWord(Peek(1), "ago"));
        if (!unit_follows) {
          v.kind = Value::Kind::kNumber;
          v.text = std::string(t.text);
          break;
        }
        v.kind = Value::Kind::kAgo;
        STORE_RETURN_IF_ERROR(ParseCountAndUnit(t, &v));
        if (!IsWord(Peek(), "ago")) {
          return Unexpected(Peek(), absl::StrCat("AGO after \"", v.source, "\""));
        }
        const Token& ago = Next();
        v.source =
            absl::string_view(t.text.data(), ago.text.data() + ago.text.size() - t.text.data());
        break;
      }
      case Tok::kString:
        Next();
        v.kind = Value::Kind::kString;
        v.text = t.value;
        break;
      case Tok::kDate:
        Next();
        v.kind = Value::Kind::kDate;
        v.day = t.day;
        break;
      case Tok::kIdent:
        if (IsWord(t, "true") || IsWord(t, "false")) {
          v.kind = Value::Kind::kBool;
          v.flag = IsWord(t, "true");
        } else if (IsWord(t, "today")) {
          v.kind = Value::Kind::kToday;
        } else if (IsWord(t, "yesterday")) {
          v.kind = Value::Kind::kYesterday;
        } else if (IsWord(t, "now")) {
          v.kind = Value::Kind::kNow;
        } else if (!IsReserved(t)) {
          return RuleError(t.pos, absl::StrCat("expected a value ", where, " but found ",
                                               Describe(t), " (strings need double quotes)"));
        } else {
          return Unexpected(t, absl::StrCat("a value ", where));
        }
        Next();
        break;
      default:
        return Unexpected(t, absl::StrCat("a value ", where));
    }
    node.values.push_back(std::move(v));
    return absl::OkStatus();
  }

  std::vector<Token> tokens_;
  size_t i_ = 0;
};

absl::StatusOr<Node> Parse(absl::string_view rule) {
  size_t chars = 0;
  for (size_t i = 0; i < rule.size(); ++i) {
    if (IsContinuationByte(rule[i])) continue;
    if (++chars > static_cast<size_t>(kMaxSegmentRuleLength)) {
      return RuleError(PosAt(rule, i), absl::StrCat("the rule is longer than ",
                                                    kMaxSegmentRuleLength, " characters"));
    }
  }
  return Parser(rule).ParseRule();
}

// Calls fn(predicate) for every predicate, left to right.
template <typename Fn>
void ForEachPredicate(const Node& node, Fn&& fn) {
  if (node.kind == Node::Kind::kPredicate) {
    fn(node);
    return;
  }
  for (const Node& child : node.children) ForEachPredicate(child, fn);
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
      f.raw = std::string(b->column);
      f.expr = b->type == Type::kText ? absl::StrCat("lower(", b->column, ")") : f.raw;
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

absl::StatusOr<std::vector<std::string>> SegmentRuleFields(absl::string_view rule) {
  STORE_ASSIGN_OR_RETURN(Node root, Parse(rule));
  std::vector<std::string> fields;
  ForEachPredicate(root, [&fields](const Node& p) {
    std::string name = CanonicalField(p.field);
    if (std::find(fields.begin(), fields.end(), name) == fields.end()) {
      fields.push_back(std::move(name));
    }
  });
  return fields;
}

absl::StatusOr<bool> SegmentRuleIsTimeRelative(absl::string_view rule) {
  STORE_ASSIGN_OR_RETURN(Node root, Parse(rule));
  bool relative = false;
  ForEachPredicate(root, [&relative](const Node& p) {
    if (p.op == Op::kWithin) relative = true;
    for (const Value& v : p.values) {
      if (v.kind == Value::Kind::kAgo || v.kind == Value::Kind::kToday ||
          v.kind == Value::Kind::kYesterday || v.kind == Value::Kind::kNow) {
        relative = true;
      }
    }
  });
  return relative;
}

}  // namespace store::customer

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
#include "services/customer/domain/segment_rule_tree.h"

namespace store::customer {
namespace segment_rule {
namespace {

constexpr absl::string_view kReason = "SEGMENT_RULE_INVALID";
constexpr int64_t kMaxCount = 100000;  // n in "n units ago" and "within n units"
constexpr size_t kMaxShown = 40;       // bytes of rule text quoted in a message

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

}  // namespace

// ---------------------------------------------------------------------------
// Positions and errors

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

namespace {

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

}  // namespace

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

}  // namespace segment_rule

using segment_rule::CanonicalField;
using segment_rule::ForEachPredicate;
using segment_rule::Node;
using segment_rule::Op;
using segment_rule::Parse;
using segment_rule::Value;

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

#include "tokenizer/chat_template/parser.h"

#include <cerrno>
#include <cstdlib>
#include <initializer_list>

#include "tokenizer/chat_template/lexer.h"

namespace impetus::jinja {
namespace {

constexpr int kMaxNesting = 200;  // expression / statement depth: no stack overflow

ExprPtr make_expr(ExprKind kind, int line) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->line = line;
  return e;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  StatusOr<StmtList> parse_all() {
    std::string end;
    IMP_ASSIGN_OR_RETURN(StmtList body, parse_body({}, &end));
    return body;
  }

 private:
  const Token& cur() const { return toks_[pos_]; }
  const Token& peek(size_t k = 1) const { return toks_[std::min(pos_ + k, toks_.size() - 1)]; }
  void advance() {
    if (pos_ + 1 < toks_.size()) ++pos_;
  }
  bool is_op(std::string_view op) const {
    return cur().kind == TokenKind::kOp && cur().value == op;
  }
  bool is_name(std::string_view n) const {
    return cur().kind == TokenKind::kName && cur().value == n;
  }
  bool skip_op(std::string_view op) {
    if (!is_op(op)) return false;
    advance();
    return true;
  }
  bool skip_name(std::string_view n) {
    if (!is_name(n)) return false;
    advance();
    return true;
  }

  static std::string describe(const Token& t) {
    switch (t.kind) {
      case TokenKind::kText:
        return "template data";
      case TokenKind::kVarBegin:
        return "'{{'";
      case TokenKind::kVarEnd:
        return "end of print statement";
      case TokenKind::kBlockBegin:
        return "'{%'";
      case TokenKind::kBlockEnd:
        return "end of statement block";
      case TokenKind::kEof:
        return "end of template";
      default:
        return "'" + t.value + "'";
    }
  }

  Status fail(const std::string& msg) const {
    return invalid_argument("template syntax error (line " + std::to_string(cur().line) +
                            "): " + msg);
  }

  Status expect_op(std::string_view op) {
    if (skip_op(op)) return ok_status();
    return fail("expected '" + std::string(op) + "', got " + describe(cur()));
  }

  StatusOr<std::string> expect_name() {
    if (cur().kind != TokenKind::kName) return fail("expected a name, got " + describe(cur()));
    std::string n = cur().value;
    advance();
    return n;
  }

  Status expect_block_end() {
    if (cur().kind == TokenKind::kBlockEnd) {
      advance();
      return ok_status();
    }
    return fail("expected end of statement block, got " + describe(cur()));
  }

  // ---- statements ----

  // Parses statements until a block tag whose name is in `ends` (consumed:
  // the tag name only) or the end of the template (an error when `ends` is
  // not empty).
  StatusOr<StmtList> parse_body(std::initializer_list<std::string_view> ends, std::string* end) {
    if (++depth_ > kMaxNesting) return fail("statements nested too deeply");
    StmtList body;
    while (cur().kind != TokenKind::kEof) {
      const Token& t = cur();
      if (t.kind == TokenKind::kText) {
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::kText;
        s->line = t.line;
        s->text = t.value;
        body.push_back(std::move(s));
        advance();
      } else if (t.kind == TokenKind::kVarBegin) {
        advance();
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::kOutput;
        s->line = t.line;
        IMP_ASSIGN_OR_RETURN(s->expr, parse_tuple(false, true, {}, false));
        if (cur().kind != TokenKind::kVarEnd)
          return fail("expected end of print statement, got " + describe(cur()));
        advance();
        body.push_back(std::move(s));
      } else if (t.kind == TokenKind::kBlockBegin) {
        advance();
        if (cur().kind != TokenKind::kName) return fail("tag name expected");
        for (std::string_view e : ends) {
          if (cur().value == e) {
            *end = cur().value;
            advance();
            --depth_;
            return body;
          }
        }
        IMP_ASSIGN_OR_RETURN(StmtPtr s, parse_statement());
        if (s) body.push_back(std::move(s));
      } else {
        return fail("unexpected " + describe(t));
      }
    }
    if (ends.size() > 0) {
      std::string want;
      for (std::string_view e : ends) want += (want.empty() ? "'" : " or '") + std::string(e) + "'";
      return fail("unexpected end of template, expected " + want);
    }
    --depth_;
    return body;
  }

  StatusOr<StmtPtr> parse_statement() {
    const std::string tag = cur().value;
    const int line = cur().line;
    advance();
    auto s = std::make_unique<Stmt>();
    s->line = line;
    if (tag == "if") return parse_if(std::move(s));
    if (tag == "for") return parse_for(std::move(s));
    if (tag == "set") return parse_set(std::move(s));
    if (tag == "macro") return parse_macro(std::move(s));
    if (tag == "call") return parse_call_block(std::move(s));
    if (tag == "filter") return parse_filter_block(std::move(s));
    if (tag == "generation") {
      s->kind = StmtKind::kFilterBlock;  // no filter: the body renders unchanged
      IMP_RETURN_IF_ERROR(expect_block_end());
      std::string end;
      IMP_ASSIGN_OR_RETURN(s->body, parse_body({"endgeneration"}, &end));
      IMP_RETURN_IF_ERROR(expect_block_end());
      return s;
    }
    if (tag == "break" || tag == "continue") {
      if (loop_depth_ == 0) return fail("'" + tag + "' outside of a loop");
      s->kind = tag == "break" ? StmtKind::kBreak : StmtKind::kContinue;
      IMP_RETURN_IF_ERROR(expect_block_end());
      return s;
    }
    return fail("unknown or unsupported tag '" + tag + "'");
  }

  StatusOr<StmtPtr> parse_if(StmtPtr s) {
    s->kind = StmtKind::kIf;
    while (true) {
      IMP_ASSIGN_OR_RETURN(ExprPtr cond, parse_tuple(false, false, {}, false));
      IMP_RETURN_IF_ERROR(expect_block_end());
      std::string end;
      IMP_ASSIGN_OR_RETURN(StmtList body, parse_body({"elif", "else", "endif"}, &end));
      s->conds.push_back(std::move(cond));
      s->bodies.push_back(std::move(body));
      if (end == "elif") continue;
      if (end == "else") {
        IMP_RETURN_IF_ERROR(expect_block_end());
        IMP_ASSIGN_OR_RETURN(s->else_body, parse_body({"endif"}, &end));
      }
      IMP_RETURN_IF_ERROR(expect_block_end());
      return s;
    }
  }

  // Assignment targets: `a`, `a, b`, `(a, b)`.
  Status parse_targets(Stmt* s) {
    const bool paren = skip_op("(");
    while (true) {
      IMP_ASSIGN_OR_RETURN(std::string n, expect_name());
      s->targets.push_back(std::move(n));
      if (!skip_op(",")) break;
      s->target_is_tuple = true;
      if (cur().kind != TokenKind::kName) break;
    }
    if (paren) IMP_RETURN_IF_ERROR(expect_op(")"));
    return ok_status();
  }

  StatusOr<StmtPtr> parse_for(StmtPtr s) {
    s->kind = StmtKind::kFor;
    IMP_RETURN_IF_ERROR(parse_targets(s.get()));
    if (!skip_name("in")) return fail("expected 'in', got " + describe(cur()));
    IMP_ASSIGN_OR_RETURN(s->expr, parse_tuple(false, false, {"recursive"}, false));
    if (skip_name("if")) {
      IMP_ASSIGN_OR_RETURN(s->cond, parse_expression(true));
    }
    if (is_name("recursive")) return fail("recursive loops are not supported");
    IMP_RETURN_IF_ERROR(expect_block_end());
    ++loop_depth_;
    std::string end;
    IMP_ASSIGN_OR_RETURN(s->body, parse_body({"else", "endfor"}, &end));
    --loop_depth_;
    if (end == "else") {
      IMP_RETURN_IF_ERROR(expect_block_end());
      IMP_ASSIGN_OR_RETURN(s->else_body, parse_body({"endfor"}, &end));
    }
    IMP_RETURN_IF_ERROR(expect_block_end());
    return s;
  }

  StatusOr<StmtPtr> parse_set(StmtPtr s) {
    if (cur().kind == TokenKind::kName && peek().kind == TokenKind::kOp && peek().value == "." &&
        peek(2).kind == TokenKind::kName) {
      s->targets.push_back(cur().value);
      s->ns_attr = peek(2).value;
      advance();
      advance();
      advance();
    } else {
      IMP_RETURN_IF_ERROR(parse_targets(s.get()));
    }
    if (skip_op("=")) {
      s->kind = StmtKind::kSet;
      IMP_ASSIGN_OR_RETURN(s->expr, parse_tuple(false, true, {}, false));
      IMP_RETURN_IF_ERROR(expect_block_end());
      return s;
    }
    if (!s->ns_attr.empty() || s->targets.size() != 1 || s->target_is_tuple) {
      return fail("expected '=' in set");
    }
    s->kind = StmtKind::kSetBlock;
    if (is_op("|")) {
      IMP_ASSIGN_OR_RETURN(s->expr, parse_filter_chain(nullptr, false));
    }
    IMP_RETURN_IF_ERROR(expect_block_end());
    std::string end;
    IMP_ASSIGN_OR_RETURN(s->body, parse_body({"endset"}, &end));
    IMP_RETURN_IF_ERROR(expect_block_end());
    return s;
  }

  Status parse_params(std::vector<MacroParam>* params) {
    IMP_RETURN_IF_ERROR(expect_op("("));
    while (!is_op(")")) {
      if (!params->empty()) IMP_RETURN_IF_ERROR(expect_op(","));
      if (is_op(")")) break;
      MacroParam p;
      IMP_ASSIGN_OR_RETURN(p.name, expect_name());
      if (skip_op("=")) {
        IMP_ASSIGN_OR_RETURN(p.default_value, parse_expression(true));
      } else if (!params->empty() && params->back().default_value) {
        return fail("non-default argument follows default argument");
      }
      params->push_back(std::move(p));
    }
    advance();
    return ok_status();
  }

  StatusOr<StmtPtr> parse_macro(StmtPtr s) {
    s->kind = StmtKind::kMacro;
    IMP_ASSIGN_OR_RETURN(s->text, expect_name());
    IMP_RETURN_IF_ERROR(parse_params(&s->params));
    IMP_RETURN_IF_ERROR(expect_block_end());
    const int saved_loops = loop_depth_;
    loop_depth_ = 0;
    std::string end;
    IMP_ASSIGN_OR_RETURN(s->body, parse_body({"endmacro"}, &end));
    loop_depth_ = saved_loops;
    if (cur().kind == TokenKind::kName) advance();  // optional `endmacro name`
    IMP_RETURN_IF_ERROR(expect_block_end());
    return s;
  }

  StatusOr<StmtPtr> parse_call_block(StmtPtr s) {
    s->kind = StmtKind::kCallBlock;
    if (is_op("(")) IMP_RETURN_IF_ERROR(parse_params(&s->params));
    IMP_ASSIGN_OR_RETURN(s->expr, parse_expression(true));
    if (s->expr->kind != ExprKind::kCall) return fail("expected call");
    IMP_RETURN_IF_ERROR(expect_block_end());
    const int saved_loops = loop_depth_;
    loop_depth_ = 0;
    std::string end;
    IMP_ASSIGN_OR_RETURN(s->body, parse_body({"endcall"}, &end));
    loop_depth_ = saved_loops;
    IMP_RETURN_IF_ERROR(expect_block_end());
    return s;
  }

  StatusOr<StmtPtr> parse_filter_block(StmtPtr s) {
    s->kind = StmtKind::kFilterBlock;
    IMP_ASSIGN_OR_RETURN(s->expr, parse_filter_chain(nullptr, true));
    IMP_RETURN_IF_ERROR(expect_block_end());
    std::string end;
    IMP_ASSIGN_OR_RETURN(s->body, parse_body({"endfilter"}, &end));
    IMP_RETURN_IF_ERROR(expect_block_end());
    return s;
  }

  // ---- expressions ----

  struct DepthGuard {
    int* d;
    explicit DepthGuard(int* depth) : d(depth) { ++*d; }
    ~DepthGuard() { --*d; }
  };

  bool is_tuple_end(std::initializer_list<std::string_view> extra) const {
    const TokenKind k = cur().kind;
    if (k == TokenKind::kVarEnd || k == TokenKind::kBlockEnd || k == TokenKind::kEof) return true;
    if (is_op(")")) return true;
    for (std::string_view e : extra) {
      if (is_name(e)) return true;
    }
    return false;
  }

  StatusOr<ExprPtr> parse_tuple(bool simplified, bool with_condexpr,
                                std::initializer_list<std::string_view> extra,
                                bool explicit_parens) {
    const int line = cur().line;
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) IMP_RETURN_IF_ERROR(expect_op(","));
      if (is_tuple_end(extra)) break;
      if (simplified) {
        IMP_ASSIGN_OR_RETURN(ExprPtr e, parse_primary());
        items.push_back(std::move(e));
      } else {
        IMP_ASSIGN_OR_RETURN(ExprPtr e, parse_expression(with_condexpr));
        items.push_back(std::move(e));
      }
      if (!is_op(",")) break;
      is_tuple = true;
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parens) return fail("expected an expression, got " + describe(cur()));
    }
    ExprPtr t = make_expr(ExprKind::kTuple, line);
    t->args = std::move(items);
    return t;
  }

  StatusOr<ExprPtr> parse_expression(bool with_condexpr) {
    DepthGuard g(&expr_depth_);
    if (expr_depth_ > kMaxNesting) return fail("expression nested too deeply");
    if (!with_condexpr) return parse_or();
    IMP_ASSIGN_OR_RETURN(ExprPtr e1, parse_or());
    while (is_name("if")) {
      const int line = cur().line;
      advance();
      IMP_ASSIGN_OR_RETURN(ExprPtr cond, parse_or());
      ExprPtr e3;
      if (skip_name("else")) {
        IMP_ASSIGN_OR_RETURN(e3, parse_expression(true));
      }
      ExprPtr c = make_expr(ExprKind::kCond, line);
      c->args.push_back(std::move(cond));
      c->args.push_back(std::move(e1));
      c->args.push_back(std::move(e3));
      e1 = std::move(c);
    }
    return e1;
  }

  ExprPtr binary(std::string op, ExprPtr l, ExprPtr r, int line) {
    ExprPtr b = make_expr(ExprKind::kBinary, line);
    b->name = std::move(op);
    b->args.push_back(std::move(l));
    b->args.push_back(std::move(r));
    return b;
  }

  StatusOr<ExprPtr> parse_or() {
    IMP_ASSIGN_OR_RETURN(ExprPtr left, parse_and());
    while (is_name("or")) {
      const int line = cur().line;
      advance();
      IMP_ASSIGN_OR_RETURN(ExprPtr right, parse_and());
      left = binary("or", std::move(left), std::move(right), line);
    }
    return left;
  }

  StatusOr<ExprPtr> parse_and() {
    IMP_ASSIGN_OR_RETURN(ExprPtr left, parse_not());
    while (is_name("and")) {
      const int line = cur().line;
      advance();
      IMP_ASSIGN_OR_RETURN(ExprPtr right, parse_not());
      left = binary("and", std::move(left), std::move(right), line);
    }
    return left;
  }

  StatusOr<ExprPtr> parse_not() {
    if (is_name("not")) {
      DepthGuard g(&expr_depth_);
      if (expr_depth_ > kMaxNesting) return fail("expression nested too deeply");
      const int line = cur().line;
      advance();
      ExprPtr n = make_expr(ExprKind::kNot, line);
      IMP_ASSIGN_OR_RETURN(ExprPtr inner, parse_not());
      n->args.push_back(std::move(inner));
      return n;
    }
    return parse_compare();
  }

  StatusOr<ExprPtr> parse_compare() {
    const int line = cur().line;
    IMP_ASSIGN_OR_RETURN(ExprPtr first, parse_math1());
    ExprPtr cmp;
    while (true) {
      std::string op;
      if (cur().kind == TokenKind::kOp &&
          (cur().value == "==" || cur().value == "!=" || cur().value == "<" ||
           cur().value == "<=" || cur().value == ">" || cur().value == ">=")) {
        op = cur().value;
        advance();
      } else if (is_name("in")) {
        op = "in";
        advance();
      } else if (is_name("not") && peek().kind == TokenKind::kName && peek().value == "in") {
        op = "notin";
        advance();
        advance();
      } else {
        break;
      }
      if (!cmp) {
        cmp = make_expr(ExprKind::kCompare, line);
        cmp->args.push_back(std::move(first));
      }
      IMP_ASSIGN_OR_RETURN(ExprPtr rhs, parse_math1());
      cmp->ops.push_back(std::move(op));
      cmp->args.push_back(std::move(rhs));
    }
    if (cmp) return cmp;
    return first;
  }

  StatusOr<ExprPtr> parse_math1() {
    IMP_ASSIGN_OR_RETURN(ExprPtr left, parse_concat());
    while (is_op("+") || is_op("-")) {
      std::string op = cur().value;
      const int line = cur().line;
      advance();
      IMP_ASSIGN_OR_RETURN(ExprPtr right, parse_concat());
      left = binary(std::move(op), std::move(left), std::move(right), line);
    }
    return left;
  }

  StatusOr<ExprPtr> parse_concat() {
    IMP_ASSIGN_OR_RETURN(ExprPtr left, parse_math2());
    while (is_op("~")) {
      const int line = cur().line;
      advance();
      IMP_ASSIGN_OR_RETURN(ExprPtr right, parse_math2());
      left = binary("~", std::move(left), std::move(right), line);
    }
    return left;
  }

  StatusOr<ExprPtr> parse_math2() {
    IMP_ASSIGN_OR_RETURN(ExprPtr left, parse_pow());
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      std::string op = cur().value;
      const int line = cur().line;
      advance();
      IMP_ASSIGN_OR_RETURN(ExprPtr right, parse_pow());
      left = binary(std::move(op), std::move(left), std::move(right), line);
    }
    return left;
  }

  StatusOr<ExprPtr> parse_pow() {
    IMP_ASSIGN_OR_RETURN(ExprPtr left, parse_unary(true));
    while (is_op("**")) {
      const int line = cur().line;
      advance();
      IMP_ASSIGN_OR_RETURN(ExprPtr right, parse_unary(true));
      left = binary("**", std::move(left), std::move(right), line);
    }
    return left;
  }

  StatusOr<ExprPtr> parse_unary(bool with_filter) {
    DepthGuard g(&expr_depth_);
    if (expr_depth_ > kMaxNesting) return fail("expression nested too deeply");
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      const int line = cur().line;
      const bool neg = is_op("-");
      advance();
      node = make_expr(neg ? ExprKind::kNeg : ExprKind::kPos, line);
      IMP_ASSIGN_OR_RETURN(ExprPtr inner, parse_unary(false));
      node->args.push_back(std::move(inner));
    } else {
      IMP_ASSIGN_OR_RETURN(node, parse_primary());
    }
    IMP_ASSIGN_OR_RETURN(node, parse_postfix(std::move(node)));
    if (with_filter) {
      IMP_ASSIGN_OR_RETURN(node, parse_filter_expr(std::move(node)));
    }
    return node;
  }

  StatusOr<ExprPtr> parse_primary() {
    const Token& t = cur();
    const int line = t.line;
    if (t.kind == TokenKind::kName) {
      ExprPtr e;
      if (t.value == "true" || t.value == "True" || t.value == "false" || t.value == "False") {
        e = make_expr(ExprKind::kLiteral, line);
        e->literal = Value(t.value == "true" || t.value == "True");
      } else if (t.value == "none" || t.value == "None") {
        e = make_expr(ExprKind::kLiteral, line);
        e->literal = Value::none();
      } else {
        e = make_expr(ExprKind::kName, line);
        e->name = t.value;
      }
      advance();
      return e;
    }
    if (t.kind == TokenKind::kString) {
      std::string s;
      while (cur().kind == TokenKind::kString) {
        s += cur().value;
        advance();
      }
      ExprPtr e = make_expr(ExprKind::kLiteral, line);
      e->literal = Value(std::move(s));
      return e;
    }
    if (t.kind == TokenKind::kInt || t.kind == TokenKind::kFloat) return parse_number();
    if (is_op("(")) {
      advance();
      IMP_ASSIGN_OR_RETURN(ExprPtr e, parse_tuple(false, true, {}, true));
      IMP_RETURN_IF_ERROR(expect_op(")"));
      return e;
    }
    if (is_op("[")) return parse_list();
    if (is_op("{")) return parse_dict();
    return fail("unexpected " + describe(t));
  }

  StatusOr<ExprPtr> parse_number() {
    const Token& t = cur();
    ExprPtr e = make_expr(ExprKind::kLiteral, t.line);
    errno = 0;
    if (t.kind == TokenKind::kFloat) {
      e->literal = Value(std::strtod(t.value.c_str(), nullptr));
    } else {
      int base = 10;
      std::string digits = t.value;
      if (digits.size() > 2 && digits[0] == '0' &&
          std::isalpha(static_cast<unsigned char>(digits[1]))) {
        const char b = static_cast<char>(std::tolower(digits[1]));
        base = b == 'x' ? 16 : (b == 'o' ? 8 : 2);
        digits = digits.substr(2);
      }
      const long long v = std::strtoll(digits.c_str(), nullptr, base);
      if (errno == ERANGE) return fail("integer literal too large: " + t.value);
      e->literal = Value(static_cast<int64_t>(v));
    }
    advance();
    return e;
  }

  StatusOr<ExprPtr> parse_list() {
    ExprPtr e = make_expr(ExprKind::kList, cur().line);
    advance();
    while (!is_op("]")) {
      if (!e->args.empty()) IMP_RETURN_IF_ERROR(expect_op(","));
      if (is_op("]")) break;
      IMP_ASSIGN_OR_RETURN(ExprPtr item, parse_expression(true));
      e->args.push_back(std::move(item));
    }
    advance();
    return e;
  }

  StatusOr<ExprPtr> parse_dict() {
    ExprPtr e = make_expr(ExprKind::kDict, cur().line);
    advance();
    while (!is_op("}")) {
      if (!e->args.empty()) IMP_RETURN_IF_ERROR(expect_op(","));
      if (is_op("}")) break;
      IMP_ASSIGN_OR_RETURN(ExprPtr key, parse_expression(true));
      IMP_RETURN_IF_ERROR(expect_op(":"));
      IMP_ASSIGN_OR_RETURN(ExprPtr value, parse_expression(true));
      e->args.push_back(std::move(key));
      e->args.push_back(std::move(value));
    }
    advance();
    return e;
  }

  StatusOr<ExprPtr> parse_postfix(ExprPtr node) {
    while (true) {
      if (is_op(".") || is_op("[")) {
        IMP_ASSIGN_OR_RETURN(node, parse_subscript(std::move(node)));
      } else if (is_op("(")) {
        IMP_ASSIGN_OR_RETURN(node, parse_call(std::move(node), ExprKind::kCall, ""));
      } else {
        return node;
      }
    }
  }

  StatusOr<ExprPtr> parse_filter_expr(ExprPtr node) {
    while (true) {
      if (is_op("|")) {
        IMP_ASSIGN_OR_RETURN(node, parse_filter_chain(std::move(node), false));
      } else if (is_name("is")) {
        IMP_ASSIGN_OR_RETURN(node, parse_test(std::move(node)));
      } else if (is_op("(")) {
        IMP_ASSIGN_OR_RETURN(node, parse_call(std::move(node), ExprKind::kCall, ""));
      } else {
        return node;
      }
    }
  }

  StatusOr<ExprPtr> parse_subscript(ExprPtr node) {
    const int line = cur().line;
    if (skip_op(".")) {
      if (cur().kind == TokenKind::kName) {
        ExprPtr e = make_expr(ExprKind::kGetAttr, line);
        e->name = cur().value;
        e->args.push_back(std::move(node));
        advance();
        return e;
      }
      if (cur().kind != TokenKind::kInt) return fail("expected name or number");
      IMP_ASSIGN_OR_RETURN(ExprPtr idx, parse_number());
      ExprPtr e = make_expr(ExprKind::kGetItem, line);
      e->args.push_back(std::move(node));
      e->args.push_back(std::move(idx));
      return e;
    }
    advance();  // [
    std::vector<ExprPtr> subs;
    while (!is_op("]")) {
      if (!subs.empty()) IMP_RETURN_IF_ERROR(expect_op(","));
      IMP_ASSIGN_OR_RETURN(ExprPtr sub, parse_subscribed());
      subs.push_back(std::move(sub));
    }
    advance();
    if (subs.size() == 1 && subs[0]->kind == ExprKind::kSlice) {
      subs[0]->args[0] = std::move(node);
      return std::move(subs[0]);
    }
    ExprPtr e = make_expr(ExprKind::kGetItem, line);
    e->args.push_back(std::move(node));
    if (subs.size() == 1) {
      e->args.push_back(std::move(subs[0]));
    } else {  // `x[a, b]` and `x[]` index with a tuple
      ExprPtr t = make_expr(ExprKind::kTuple, line);
      t->args = std::move(subs);
      e->args.push_back(std::move(t));
    }
    return e;
  }

  // An index or a slice `a:b:c` (slice: kSlice with args[0] left for the object).
  StatusOr<ExprPtr> parse_subscribed() {
    const int line = cur().line;
    ExprPtr first;
    if (!is_op(":")) {
      IMP_ASSIGN_OR_RETURN(first, parse_expression(true));
      if (!is_op(":")) return first;
    }
    advance();  // :
    ExprPtr slice = make_expr(ExprKind::kSlice, line);
    slice->args.resize(4);
    slice->args[1] = std::move(first);
    if (!is_op(":") && !is_op("]") && !is_op(",")) {
      IMP_ASSIGN_OR_RETURN(slice->args[2], parse_expression(true));
    }
    if (skip_op(":")) {
      if (!is_op("]") && !is_op(",")) {
        IMP_ASSIGN_OR_RETURN(slice->args[3], parse_expression(true));
      }
    }
    return slice;
  }

  // `( args, kw=v )` appended to a node of `kind` whose args[0] = subject.
  StatusOr<ExprPtr> parse_call(ExprPtr subject, ExprKind kind, std::string name) {
    ExprPtr e = make_expr(kind, cur().line);
    e->name = std::move(name);
    e->args.push_back(std::move(subject));
    IMP_RETURN_IF_ERROR(parse_call_args(e.get()));
    return e;
  }

  Status parse_call_args(Expr* e) {
    IMP_RETURN_IF_ERROR(expect_op("("));
    bool need_comma = false;
    while (!is_op(")")) {
      if (need_comma) {
        IMP_RETURN_IF_ERROR(expect_op(","));
        if (is_op(")")) break;
      }
      if (is_op("*") || is_op("**")) return fail("*args / **kwargs calls are not supported");
      if (cur().kind == TokenKind::kName && peek().kind == TokenKind::kOp && peek().value == "=") {
        std::string key = cur().value;
        advance();
        advance();
        IMP_ASSIGN_OR_RETURN(ExprPtr v, parse_expression(true));
        e->kwargs.emplace_back(std::move(key), std::move(v));
      } else {
        if (!e->kwargs.empty()) return fail("invalid syntax for function call expression");
        IMP_ASSIGN_OR_RETURN(ExprPtr v, parse_expression(true));
        e->args.push_back(std::move(v));
      }
      need_comma = true;
    }
    advance();
    return ok_status();
  }

  StatusOr<std::string> dotted_name() {
    IMP_ASSIGN_OR_RETURN(std::string name, expect_name());
    while (skip_op(".")) {
      IMP_ASSIGN_OR_RETURN(std::string part, expect_name());
      name += "." + part;
    }
    return name;
  }

  // `| f(args) | g ...`; with start_inline the first filter has no leading pipe.
  StatusOr<ExprPtr> parse_filter_chain(ExprPtr node, bool start_inline) {
    while (is_op("|") || start_inline) {
      if (!start_inline) advance();
      start_inline = false;
      const int line = cur().line;
      IMP_ASSIGN_OR_RETURN(std::string name, dotted_name());
      ExprPtr f = make_expr(ExprKind::kFilter, line);
      f->name = std::move(name);
      f->args.push_back(std::move(node));
      if (is_op("(")) IMP_RETURN_IF_ERROR(parse_call_args(f.get()));
      node = std::move(f);
    }
    return node;
  }

  StatusOr<ExprPtr> parse_test(ExprPtr node) {
    const int line = cur().line;
    advance();  // is
    const bool negated = skip_name("not");
    IMP_ASSIGN_OR_RETURN(std::string name, dotted_name());
    ExprPtr t = make_expr(ExprKind::kTest, line);
    t->name = std::move(name);
    t->args.push_back(std::move(node));
    if (is_op("(")) {
      IMP_RETURN_IF_ERROR(parse_call_args(t.get()));
    } else if ((cur().kind == TokenKind::kName || cur().kind == TokenKind::kString ||
                cur().kind == TokenKind::kInt || cur().kind == TokenKind::kFloat || is_op("[") ||
                is_op("{")) &&
               !is_name("else") && !is_name("or") && !is_name("and")) {
      if (is_name("is")) return fail("You cannot chain multiple tests with is");
      IMP_ASSIGN_OR_RETURN(ExprPtr arg, parse_primary());
      IMP_ASSIGN_OR_RETURN(arg, parse_postfix(std::move(arg)));
      t->args.push_back(std::move(arg));
    }
    if (!negated) return t;
    ExprPtr n = make_expr(ExprKind::kNot, line);
    n->args.push_back(std::move(t));
    return n;
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  int expr_depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

StatusOr<StmtList> parse_template(std::string_view source) {
  IMP_ASSIGN_OR_RETURN(std::vector<Token> tokens, lex_template(source));
  IMP_ASSIGN_OR_RETURN(StmtList tree, Parser(std::move(tokens)).parse_all());
  mark_constants(&tree);
  return tree;
}

}  // namespace impetus::jinja

// Constant-folding marks: which expressions jinja2's compiler would evaluate
// ahead of time (no variables, no calls, no context filters).
#include "tokenizer/chat_template/ast.h"

namespace impetus::jinja {
namespace {

// Marks the subtrees jinja2 can evaluate at compile time (Expr::constant).
bool mark_constant(Expr* e) {
  if (e == nullptr) return true;
  bool c = e->kind != ExprKind::kName && e->kind != ExprKind::kCall;
  if (e->kind == ExprKind::kFilter) {  // filters that need the context are not folded
    static const char* kContextFilters[] = {"map", "select", "reject", "selectattr", "rejectattr"};
    for (const char* f : kContextFilters) c = c && e->name != f;
  }
  for (auto& a : e->args) c = mark_constant(a.get()) && c;
  for (auto& [k, a] : e->kwargs) c = mark_constant(a.get()) && c;
  e->constant = c;
  return c;
}

}  // namespace

void mark_constants(StmtList* body) {
  for (auto& s : *body) {
    mark_constant(s->expr.get());
    mark_constant(s->cond.get());
    for (auto& c : s->conds) mark_constant(c.get());
    for (auto& p : s->params) mark_constant(p.default_value.get());
    s->constant = s->kind == StmtKind::kOutput && s->expr->constant;
    for (auto& b : s->bodies) mark_constants(&b);
    mark_constants(&s->body);
    mark_constants(&s->else_body);
  }
}

}  // namespace impetus::jinja

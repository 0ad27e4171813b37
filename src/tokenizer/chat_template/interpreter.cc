// Statement execution, scopes, macros and limits; expressions are in eval.cc.
#include "tokenizer/chat_template/interpreter.h"

#include "tokenizer/chat_template/builtins.h"
#include "tokenizer/chat_template/ops.h"

namespace impetus::jinja {

struct Frame {
  FramePtr parent;
  std::vector<std::pair<std::string, Value>> vars;

  explicit Frame(FramePtr p) : parent(std::move(p)) {}
  void set(const std::string& name, Value v) {
    for (auto& [k, val] : vars) {
      if (k == name) {
        val = std::move(v);
        return;
      }
    }
    vars.emplace_back(name, std::move(v));
  }
};

Value lookup(const Frame& frame, const std::string& name) {
  for (const Frame* f = &frame; f != nullptr; f = f->parent.get()) {
    for (const auto& [k, v] : f->vars) {
      if (k == name) return v;
    }
  }
  return Value::undefined(name);
}

Interpreter::Interpreter(RenderLimits limits, std::chrono::system_clock::time_point now)
    : limits_(limits), now_(now) {}

Interpreter::~Interpreter() {
  // A namespace may hold itself (directly or through a list): break the cycles.
  for (auto& ns : namespaces_) ns->attrs.entries.clear();
}

Status Interpreter::charge(int64_t steps) {
  steps_ += steps;
  if (steps_ > limits_.max_steps) {
    return resource_exhausted("template evaluation exceeded " + std::to_string(limits_.max_steps) +
                              " steps (runaway loop?)");
  }
  return ok_status();
}

Status Interpreter::check_size(size_t bytes) const {
  if (bytes > limits_.max_output_bytes) {
    return resource_exhausted("template built a string of more than " +
                              std::to_string(limits_.max_output_bytes) + " bytes");
  }
  return ok_status();
}

Value Interpreter::make_namespace() {
  auto ns = std::make_shared<Namespace>();
  namespaces_.push_back(ns);
  return Value::ns(std::move(ns));
}

Status Interpreter::emit(std::string* out, std::string_view text) {
  output_bytes_ += text.size();
  if (output_bytes_ > limits_.max_output_bytes) {
    return resource_exhausted("template output exceeded " +
                              std::to_string(limits_.max_output_bytes) + " bytes");
  }
  out->append(text);
  return ok_status();
}

StatusOr<std::string> Interpreter::render(const StmtList& tmpl, const ValueDict& context) {
  ValueDict globals;
  add_globals(&globals);
  auto root = std::make_shared<Frame>(nullptr);
  for (auto& [k, v] : globals.entries) root->set(k.str(), v);
  for (const auto& [k, v] : context.entries) {
    if (k.is_string()) root->set(k.str(), v);
  }
  std::string out;
  IMP_ASSIGN_OR_RETURN(Flow flow, exec_list(tmpl, root, &out));
  (void)flow;
  root->vars.clear();  // macros in the root scope refer back to it weakly; drop values now
  return out;
}

StatusOr<Interpreter::Flow> Interpreter::exec_list(const StmtList& body, const FramePtr& frame,
                                                   std::string* out) {
  for (const StmtPtr& s : body) {
    IMP_ASSIGN_OR_RETURN(Flow f, exec(*s, frame, out));
    if (f != Flow::kNormal) return f;
  }
  return Flow::kNormal;
}

StatusOr<Interpreter::Flow> Interpreter::exec(const Stmt& s, const FramePtr& frame,
                                              std::string* out) {
  switch (s.kind) {
    case StmtKind::kText:
      IMP_RETURN_IF_ERROR(emit(out, s.text));
      return Flow::kNormal;
    case StmtKind::kOutput: {
      if (s.constant) {
        auto folded = eval_folded(*s.expr, frame);
        if (folded.ok()) {  // else jinja2 gives up folding and evaluates at run time
          IMP_RETURN_IF_ERROR(emit(out, to_str(*folded)));
          return Flow::kNormal;
        }
      }
      IMP_ASSIGN_OR_RETURN(Value v, eval(*s.expr, frame));
      IMP_RETURN_IF_ERROR(emit(out, to_str(v)));
      return Flow::kNormal;
    }
    case StmtKind::kIf:
      for (size_t i = 0; i < s.conds.size(); ++i) {
        IMP_ASSIGN_OR_RETURN(Value c, eval(*s.conds[i], frame));
        if (truthy(c)) return exec_list(s.bodies[i], frame, out);
      }
      return exec_list(s.else_body, frame, out);
    case StmtKind::kFor:
      IMP_RETURN_IF_ERROR(exec_for(s, frame, out));
      return Flow::kNormal;
    case StmtKind::kSet:
    case StmtKind::kSetBlock:
      IMP_RETURN_IF_ERROR(exec_set(s, frame));
      return Flow::kNormal;
    case StmtKind::kMacro:
      IMP_RETURN_IF_ERROR(exec_macro(s, frame));
      return Flow::kNormal;
    case StmtKind::kCallBlock:
      IMP_RETURN_IF_ERROR(exec_call_block(s, frame, out));
      return Flow::kNormal;
    case StmtKind::kFilterBlock:
      IMP_RETURN_IF_ERROR(exec_filter_block(s, frame, out));
      return Flow::kNormal;
    case StmtKind::kBreak:
      return Flow::kBreak;
    case StmtKind::kContinue:
      return Flow::kContinue;
  }
  return Flow::kNormal;
}

Status Interpreter::assign_targets(const Stmt& s, const Value& v, Frame* frame) {
  if (s.targets.size() == 1 && !s.target_is_tuple) {
    frame->set(s.targets[0], v);
    return ok_status();
  }
  if (v.is_undefined()) return undefined_error(v);
  IMP_ASSIGN_OR_RETURN(ValueList parts, iterate(v));
  if (parts.size() != s.targets.size()) {
    return invalid_argument("ValueError: cannot unpack " + std::to_string(parts.size()) +
                            " values into " + std::to_string(s.targets.size()) + " names");
  }
  for (size_t i = 0; i < parts.size(); ++i) frame->set(s.targets[i], parts[i]);
  return ok_status();
}

namespace {

Value loop_value(const ValueList& items, size_t i) {
  const auto n = static_cast<int64_t>(items.size());
  const auto idx = static_cast<int64_t>(i);
  ValueDict d;
  d.entries.reserve(12);
  d.entries.emplace_back(Value("index"), Value(idx + 1));
  d.entries.emplace_back(Value("index0"), Value(idx));
  d.entries.emplace_back(Value("revindex"), Value(n - idx));
  d.entries.emplace_back(Value("revindex0"), Value(n - idx - 1));
  d.entries.emplace_back(Value("first"), Value(i == 0));
  d.entries.emplace_back(Value("last"), Value(idx == n - 1));
  d.entries.emplace_back(Value("length"), Value(n));
  d.entries.emplace_back(Value("depth"), Value(int64_t{1}));
  d.entries.emplace_back(Value("depth0"), Value(int64_t{0}));
  if (i > 0) d.entries.emplace_back(Value("previtem"), items[i - 1]);
  if (idx + 1 < n) d.entries.emplace_back(Value("nextitem"), items[i + 1]);
  return Value::dict(std::move(d));
}

}  // namespace

Status Interpreter::exec_for(const Stmt& s, const FramePtr& frame, std::string* out) {
  IMP_ASSIGN_OR_RETURN(Value iterable, eval(*s.expr, frame));
  IMP_ASSIGN_OR_RETURN(ValueList items, iterate(iterable));
  IMP_RETURN_IF_ERROR(charge(static_cast<int64_t>(items.size())));
  if (s.cond) {
    ValueList kept;
    for (const Value& item : items) {
      auto scope = std::make_shared<Frame>(frame);
      IMP_RETURN_IF_ERROR(assign_targets(s, item, scope.get()));
      IMP_ASSIGN_OR_RETURN(Value c, eval(*s.cond, scope));
      if (truthy(c)) kept.push_back(item);
    }
    items = std::move(kept);
  }
  if (items.empty()) {
    IMP_ASSIGN_OR_RETURN(Flow f, exec_list(s.else_body, frame, out));
    (void)f;
    return ok_status();
  }
  for (size_t i = 0; i < items.size(); ++i) {
    IMP_RETURN_IF_ERROR(charge(1));
    auto scope = std::make_shared<Frame>(frame);
    IMP_RETURN_IF_ERROR(assign_targets(s, items[i], scope.get()));
    scope->set("loop", loop_value(items, i));
    IMP_ASSIGN_OR_RETURN(Flow f, exec_list(s.body, scope, out));
    if (f == Flow::kBreak) break;
  }
  return ok_status();
}

namespace {

// The filters of a `{% filter %}` / `{% set x | f %}` chain, innermost first.
std::vector<const Expr*> filter_chain(const Expr* e) {
  std::vector<const Expr*> chain;
  for (; e != nullptr; e = e->args.empty() ? nullptr : e->args[0].get()) chain.push_back(e);
  return {chain.rbegin(), chain.rend()};
}

}  // namespace

Status Interpreter::exec_filter_block(const Stmt& s, const FramePtr& frame, std::string* out) {
  std::string body;
  IMP_ASSIGN_OR_RETURN(Flow f, exec_list(s.body, frame, &body));
  (void)f;
  Value v(std::move(body));
  for (const Expr* fe : filter_chain(s.expr.get())) {
    IMP_ASSIGN_OR_RETURN(v, eval_filter(*fe, frame, &v));
  }
  return emit(out, to_str(v));
}

Status Interpreter::exec_set(const Stmt& s, const FramePtr& frame) {
  Value v;
  if (s.kind == StmtKind::kSetBlock) {
    std::string body;
    IMP_ASSIGN_OR_RETURN(Flow f, exec_list(s.body, frame, &body));
    (void)f;
    v = Value(std::move(body));
    for (const Expr* fe : filter_chain(s.expr.get())) {
      IMP_ASSIGN_OR_RETURN(v, eval_filter(*fe, frame, &v));
    }
  } else {
    IMP_ASSIGN_OR_RETURN(v, eval(*s.expr, frame));
  }
  if (!s.ns_attr.empty()) {
    const Value target = lookup(*frame, s.targets[0]);
    if (!target.is_namespace()) {
      return invalid_argument(
          "TemplateRuntimeError: cannot assign attribute on non-namespace object");
    }
    target.ns().attrs.set(Value(s.ns_attr), std::move(v));
    return ok_status();
  }
  return assign_targets(s, v, frame.get());
}

// ---- macros ----

namespace {

struct MacroData {
  const Stmt* stmt;
  std::weak_ptr<Frame> closure;
};

}  // namespace

struct MacroCall {
  static StatusOr<Value> run(Interpreter& in, const MacroData& m, const CallArgs& args);
};

StatusOr<Value> MacroCall::run(Interpreter& in, const MacroData& m, const CallArgs& args) {
  const Stmt& s = *m.stmt;
  const std::string name = s.kind == StmtKind::kMacro ? s.text : "caller";
  FramePtr closure = m.closure.lock();
  if (!closure) return failed_precondition("macro '" + name + "' called after its scope ended");
  if (args.positional.size() > s.params.size()) {
    return invalid_argument("TypeError: macro '" + name + "' takes not more than " +
                            std::to_string(s.params.size()) + " argument(s)");
  }
  for (const auto& [k, v] : args.keyword) {
    bool known = false;
    for (size_t i = 0; i < s.params.size(); ++i) known |= s.params[i].name == k;
    if (!known) {
      return invalid_argument("TypeError: macro '" + name + "' takes no keyword argument '" + k +
                              "'");
    }
  }
  if (++in.call_depth_ > in.limits_.max_call_depth) {
    --in.call_depth_;
    return resource_exhausted("maximum macro recursion depth (" +
                              std::to_string(in.limits_.max_call_depth) + ") exceeded");
  }
  IMP_RETURN_IF_ERROR(in.charge(1));
  auto scope = std::make_shared<Frame>(closure);
  for (size_t i = 0; i < s.params.size(); ++i) {
    const MacroParam& p = s.params[i];
    const Value* given = i < args.positional.size() ? &args.positional[i] : args.kwarg(p.name);
    if (given != nullptr) {
      scope->set(p.name, *given);
    } else if (p.default_value) {
      auto v = in.eval(*p.default_value, scope);
      if (!v.ok()) {
        --in.call_depth_;
        return v.status();
      }
      scope->set(p.name, *v);
    } else {
      scope->set(p.name, Value::undefined(p.name));
    }
  }
  if (!args.caller.is_undefined()) scope->set("caller", args.caller);
  std::string out;
  auto flow = in.exec_list(s.body, scope, &out);
  --in.call_depth_;
  if (!flow.ok()) return flow.status();
  return Value(std::move(out));
}

StatusOr<Value> Interpreter::make_macro(const Stmt& s, const FramePtr& frame) {
  auto data = std::make_shared<MacroData>(MacroData{&s, frame});
  auto fn = std::make_shared<Callable>();
  fn->name = s.kind == StmtKind::kMacro ? s.text : "caller";
  fn->call = [data](Interpreter& in, const CallArgs& args) {
    return MacroCall::run(in, *data, args);
  };
  return Value::callable(std::move(fn));
}

Status Interpreter::exec_macro(const Stmt& s, const FramePtr& frame) {
  IMP_ASSIGN_OR_RETURN(Value m, make_macro(s, frame));
  frame->set(s.text, std::move(m));
  return ok_status();
}

Status Interpreter::exec_call_block(const Stmt& s, const FramePtr& frame, std::string* out) {
  // The body becomes `caller`, passed to the called macro.
  IMP_ASSIGN_OR_RETURN(Value caller, make_macro(s, frame));
  const Expr& call = *s.expr;
  IMP_ASSIGN_OR_RETURN(Value fn, eval(*call.args[0], frame));
  if (!fn.is_callable()) {
    if (fn.is_undefined()) return undefined_error(fn);
    return invalid_argument("TypeError: '" + type_name(fn) + "' object is not callable");
  }
  IMP_ASSIGN_OR_RETURN(CallArgs args, eval_args(call, frame, 1));
  args.caller = std::move(caller);
  IMP_ASSIGN_OR_RETURN(Value result, this->call(fn, args));
  return emit(out, to_str(result));
}

}  // namespace impetus::jinja

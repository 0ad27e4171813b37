// Expression evaluation for the Interpreter (statements are in interpreter.cc).
#include "tokenizer/chat_template/builtins.h"
#include "tokenizer/chat_template/interpreter.h"
#include "tokenizer/chat_template/ops.h"

namespace impetus::jinja {

StatusOr<Value> Interpreter::call(const Value& fn, const CallArgs& args) {
  if (fn.is_undefined()) return undefined_error(fn);
  if (!fn.is_callable()) {
    return invalid_argument("TypeError: '" + type_name(fn) + "' object is not callable");
  }
  return fn.fn().call(*this, args);
}

StatusOr<CallArgs> Interpreter::eval_args(const Expr& e, const FramePtr& frame, size_t first) {
  CallArgs args;
  for (size_t i = first; i < e.args.size(); ++i) {
    IMP_ASSIGN_OR_RETURN(Value v, eval(*e.args[i], frame));
    args.positional.push_back(std::move(v));
  }
  for (const auto& [k, ex] : e.kwargs) {
    IMP_ASSIGN_OR_RETURN(Value v, eval(*ex, frame));
    args.keyword.emplace_back(k, std::move(v));
  }
  return args;
}

StatusOr<Value> Interpreter::eval_call(const Expr& e, const FramePtr& frame) {
  const Expr& callee = *e.args[0];
  if (callee.kind == ExprKind::kGetAttr) {
    IMP_ASSIGN_OR_RETURN(Value obj, eval(*callee.args[0], frame));
    if (has_method(obj, callee.name)) {
      IMP_ASSIGN_OR_RETURN(CallArgs args, eval_args(e, frame, 1));
      IMP_RETURN_IF_ERROR(charge(1));
      return call_method(*this, obj, callee.name, args);
    }
    IMP_ASSIGN_OR_RETURN(Value fn, get_attr(obj, callee.name));
    IMP_ASSIGN_OR_RETURN(CallArgs args, eval_args(e, frame, 1));
    return call(fn, args);
  }
  IMP_ASSIGN_OR_RETURN(Value fn, eval(callee, frame));
  IMP_ASSIGN_OR_RETURN(CallArgs args, eval_args(e, frame, 1));
  return call(fn, args);
}

StatusOr<Value> Interpreter::eval_filter(const Expr& e, const FramePtr& frame, const Value* input) {
  Value subject;
  if (input != nullptr) {
    subject = *input;
  } else {
    IMP_ASSIGN_OR_RETURN(subject, eval(*e.args[0], frame));
  }
  IMP_ASSIGN_OR_RETURN(CallArgs args, eval_args(e, frame, 1));
  IMP_RETURN_IF_ERROR(charge(1));
  return apply_filter(*this, e.name, subject, args);
}

StatusOr<Value> Interpreter::eval_compare(const Expr& e, const FramePtr& frame) {
  IMP_ASSIGN_OR_RETURN(Value left, eval(*e.args[0], frame));
  for (size_t i = 0; i < e.ops.size(); ++i) {
    IMP_ASSIGN_OR_RETURN(Value right, eval(*e.args[i + 1], frame));
    const std::string& op = e.ops[i];
    bool r = false;
    if (op == "==" || op == "!=") {
      r = equals(left, right) == (op == "==");
    } else if (op == "in" || op == "notin") {
      IMP_ASSIGN_OR_RETURN(bool c, contains(right, left));
      r = c == (op == "in");
    } else {
      if (left.is_undefined()) return undefined_error(left);
      if (right.is_undefined()) return undefined_error(right);
      IMP_ASSIGN_OR_RETURN(int c, compare(left, right));
      r = op == "<" ? c < 0 : op == "<=" ? c <= 0 : op == ">" ? c > 0 : c >= 0;
    }
    if (!r) return Value(false);
    left = std::move(right);
  }
  return Value(true);
}

StatusOr<Value> Interpreter::eval_binary(const Expr& e, const FramePtr& frame) {
  IMP_ASSIGN_OR_RETURN(Value a, eval(*e.args[0], frame));
  if (e.name == "and") {
    if (!truthy(a)) return a;
    return eval(*e.args[1], frame);
  }
  if (e.name == "or") {
    if (truthy(a)) return a;
    return eval(*e.args[1], frame);
  }
  IMP_ASSIGN_OR_RETURN(Value b, eval(*e.args[1], frame));
  if (e.name == "~") {
    std::string s = to_str(a);
    std::string t = to_str(b);
    IMP_RETURN_IF_ERROR(check_size(s.size() + t.size()));
    return Value(s + t);
  }
  return arithmetic(*this, e.name, a, b);
}

namespace {

StatusOr<Value> negate(const Value& v, bool neg) {
  if (v.is_undefined()) return undefined_error(v);
  if (v.is_float()) return Value(neg ? -v.as_float() : v.as_float());
  if (v.is_int() || v.is_bool()) {
    const int64_t i = v.as_int();
    if (neg && i == INT64_MIN)
      return invalid_argument("OverflowError: integer result out of range");
    return Value(neg ? -i : i);
  }
  return invalid_argument(std::string("TypeError: bad operand type for unary ") +
                          (neg ? "-" : "+") + ": '" + type_name(v) + "'");
}

}  // namespace

namespace {

// Const.from_untrusted: only values with a Python literal repr are folded.
bool has_safe_repr(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kNone:
    case ValueKind::kBool:
    case ValueKind::kInt:
    case ValueKind::kFloat:
      return true;
    case ValueKind::kString:
      return !v.is_markup();
    case ValueKind::kList:
    case ValueKind::kTuple:
      for (const Value& x : v.items()) {
        if (!has_safe_repr(x)) return false;
      }
      return true;
    case ValueKind::kDict:
      for (const auto& [k, x] : v.dict().entries) {
        if (!has_safe_repr(k) || !has_safe_repr(x)) return false;
      }
      return true;
    default:
      return false;
  }
}

}  // namespace

StatusOr<Value> Interpreter::eval(const Expr& e, const FramePtr& frame) {
  if (e.constant && !folding_constant_ && e.kind != ExprKind::kLiteral) {
    // jinja2's optimizer folds constant subtrees when the result is a literal.
    auto folded = eval_folded(e, frame);
    if (folded.ok() && has_safe_repr(*folded)) return folded;
  }
  return eval_node(e, frame);
}

StatusOr<Value> Interpreter::eval_folded(const Expr& e, const FramePtr& frame) {
  folding_constant_ = true;
  auto v = eval_node(e, frame);
  folding_constant_ = false;
  return v;
}

StatusOr<Value> Interpreter::eval_node(const Expr& e, const FramePtr& frame) {
  switch (e.kind) {
    case ExprKind::kLiteral:
      return e.literal;
    case ExprKind::kName:
      return lookup(*frame, e.name);
    case ExprKind::kList:
    case ExprKind::kTuple: {
      ValueList items;
      items.reserve(e.args.size());
      for (const ExprPtr& a : e.args) {
        IMP_ASSIGN_OR_RETURN(Value v, eval(*a, frame));
        items.push_back(std::move(v));
      }
      IMP_RETURN_IF_ERROR(charge(static_cast<int64_t>(items.size())));
      return e.kind == ExprKind::kList ? Value::list(std::move(items))
                                       : Value::tuple(std::move(items));
    }
    case ExprKind::kDict: {
      ValueDict d;
      for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
        IMP_ASSIGN_OR_RETURN(Value k, eval(*e.args[i], frame));
        IMP_ASSIGN_OR_RETURN(Value v, eval(*e.args[i + 1], frame));
        if (k.is_list() || k.is_dict() || k.is_undefined() || k.is_namespace()) {
          return invalid_argument("TypeError: unhashable type: '" + type_name(k) + "'");
        }
        d.set(std::move(k), std::move(v));
      }
      IMP_RETURN_IF_ERROR(charge(static_cast<int64_t>(d.entries.size())));
      return Value::dict(std::move(d));
    }
    case ExprKind::kGetAttr: {
      IMP_ASSIGN_OR_RETURN(Value obj, eval(*e.args[0], frame));
      return get_attr(obj, e.name);
    }
    case ExprKind::kGetItem: {
      IMP_ASSIGN_OR_RETURN(Value obj, eval(*e.args[0], frame));
      IMP_ASSIGN_OR_RETURN(Value key, eval(*e.args[1], frame));
      return get_item(obj, key);
    }
    case ExprKind::kSlice: {
      IMP_ASSIGN_OR_RETURN(Value obj, eval(*e.args[0], frame));
      Value parts[3];
      for (int i = 0; i < 3; ++i) {
        if (e.args[static_cast<size_t>(i) + 1]) {
          IMP_ASSIGN_OR_RETURN(parts[i], eval(*e.args[static_cast<size_t>(i) + 1], frame));
        }
      }
      IMP_RETURN_IF_ERROR(charge(1));
      if (folding_constant_ && !obj.is_string() && !obj.is_sequence() && !obj.is_undefined()) {
        return Value::undefined();
      }
      return slice(obj, parts[0], parts[1], parts[2]);
    }
    case ExprKind::kCall:
      return eval_call(e, frame);
    case ExprKind::kFilter:
      return eval_filter(e, frame, nullptr);
    case ExprKind::kTest: {
      IMP_ASSIGN_OR_RETURN(Value subject, eval(*e.args[0], frame));
      IMP_ASSIGN_OR_RETURN(CallArgs args, eval_args(e, frame, 1));
      IMP_ASSIGN_OR_RETURN(bool r, apply_test(*this, e.name, subject, args));
      return Value(r);
    }
    case ExprKind::kNot: {
      IMP_ASSIGN_OR_RETURN(Value v, eval(*e.args[0], frame));
      return Value(!truthy(v));
    }
    case ExprKind::kNeg:
    case ExprKind::kPos: {
      IMP_ASSIGN_OR_RETURN(Value v, eval(*e.args[0], frame));
      return negate(v, e.kind == ExprKind::kNeg);
    }
    case ExprKind::kBinary:
      return eval_binary(e, frame);
    case ExprKind::kCompare:
      return eval_compare(e, frame);
    case ExprKind::kCond: {
      IMP_ASSIGN_OR_RETURN(Value c, eval(*e.args[0], frame));
      if (truthy(c)) return eval(*e.args[1], frame);
      if (e.args[2]) return eval(*e.args[2], frame);
      return Value::undefined();
    }
  }
  return internal_error("unknown expression kind");
}

}  // namespace impetus::jinja

// The Jinja evaluator: walks a parsed template (ast.h) over a context of
// Values and produces the rendered text, with jinja2's scoping (a fresh scope
// per loop iteration and per macro call, `if` blocks share their parent's,
// macros see the scope they were defined in), Undefined semantics, the
// loop variable, namespace(), macros and call blocks, break/continue, and the
// sandbox's refusal to mutate lists and dicts.
//
// Every run is bounded: output bytes, evaluation steps (loop iterations,
// calls, container elements built) and call depth, so that a hostile or
// runaway template ends with a Status, never a hang or a crash.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "tokenizer/chat_template/ast.h"
#include "tokenizer/chat_template/value.h"

namespace impetus::jinja {

struct RenderLimits {
  size_t max_output_bytes = size_t{32} << 20;  // also bounds every string built
  int64_t max_steps = 20'000'000;
  int max_call_depth = 100;
};

struct Frame;
using FramePtr = std::shared_ptr<Frame>;

class Interpreter {
 public:
  Interpreter(RenderLimits limits, std::chrono::system_clock::time_point now);
  ~Interpreter();

  // Renders `tmpl` with `context` as its variables (plus the globals).
  StatusOr<std::string> render(const StmtList& tmpl, const ValueDict& context);

  // Services for the builtins.
  StatusOr<Value> call(const Value& fn, const CallArgs& args);
  Status charge(int64_t steps);           // counts work against max_steps
  Status check_size(size_t bytes) const;  // a string of `bytes` may be built
  std::chrono::system_clock::time_point now() const { return now_; }
  Value make_namespace();  // a new, tracked namespace()

 private:
  enum class Flow { kNormal, kBreak, kContinue };
  friend struct MacroCall;

  StatusOr<Flow> exec_list(const StmtList& body, const FramePtr& frame, std::string* out);
  StatusOr<Flow> exec(const Stmt& s, const FramePtr& frame, std::string* out);
  Status exec_for(const Stmt& s, const FramePtr& frame, std::string* out);
  Status exec_set(const Stmt& s, const FramePtr& frame);
  Status exec_macro(const Stmt& s, const FramePtr& frame);
  Status exec_call_block(const Stmt& s, const FramePtr& frame, std::string* out);
  Status exec_filter_block(const Stmt& s, const FramePtr& frame, std::string* out);
  Status emit(std::string* out, std::string_view text);
  Status assign_targets(const Stmt& s, const Value& v, Frame* frame);

  StatusOr<Value> eval(const Expr& e, const FramePtr& frame);
  StatusOr<Value> eval_node(const Expr& e, const FramePtr& frame);
  StatusOr<Value> eval_folded(const Expr& e, const FramePtr& frame);
  StatusOr<Value> eval_call(const Expr& e, const FramePtr& frame);
  StatusOr<Value> eval_filter(const Expr& e, const FramePtr& frame, const Value* input);
  StatusOr<Value> eval_compare(const Expr& e, const FramePtr& frame);
  StatusOr<Value> eval_binary(const Expr& e, const FramePtr& frame);
  StatusOr<CallArgs> eval_args(const Expr& e, const FramePtr& frame, size_t first);
  StatusOr<Value> make_macro(const Stmt& s, const FramePtr& frame);

  RenderLimits limits_;
  std::chrono::system_clock::time_point now_;
  int64_t steps_ = 0;
  size_t output_bytes_ = 0;
  int call_depth_ = 0;
  // While printing a constant expression: jinja2 folds those at compile time
  // through environment.getitem, where a failed slice is Undefined, not an error.
  bool folding_constant_ = false;
  std::vector<std::shared_ptr<Namespace>> namespaces_;  // cleared after a render (no cycles)
};

// Variable lookup along the scope chain; Undefined(name) if absent.
Value lookup(const Frame& frame, const std::string& name);

}  // namespace impetus::jinja

#include "tokenizer/chat_template/chat_template.h"

#include "tokenizer/chat_template/builtins.h"
#include "tokenizer/chat_template/parser.h"

namespace impetus {
namespace {

using jinja::Expr;
using jinja::ExprKind;
using jinja::Stmt;
using jinja::StmtList;

// jinja2 rejects unknown filters and tests when it compiles a template,
// except inside an `if` branch, where the error waits until it runs.
Status check_names(const Expr* e) {
  if (e == nullptr) return ok_status();
  if (e->kind == ExprKind::kFilter && !jinja::is_known_filter(e->name)) {
    return invalid_argument("template error (line " + std::to_string(e->line) +
                            "): no filter named '" + e->name + "'");
  }
  if (e->kind == ExprKind::kTest && !jinja::is_known_test(e->name)) {
    return invalid_argument("template error (line " + std::to_string(e->line) +
                            "): no test named '" + e->name + "'");
  }
  for (const auto& a : e->args) IMP_RETURN_IF_ERROR(check_names(a.get()));
  for (const auto& [k, a] : e->kwargs) IMP_RETURN_IF_ERROR(check_names(a.get()));
  return ok_status();
}

Status check_names(const StmtList& body) {
  for (const auto& s : body) {
    IMP_RETURN_IF_ERROR(check_names(s->expr.get()));
    IMP_RETURN_IF_ERROR(check_names(s->cond.get()));
    for (const auto& c : s->conds) IMP_RETURN_IF_ERROR(check_names(c.get()));
    for (const auto& p : s->params) IMP_RETURN_IF_ERROR(check_names(p.default_value.get()));
    if (s->kind == jinja::StmtKind::kIf) continue;  // branch bodies: checked when they run
    IMP_RETURN_IF_ERROR(check_names(s->body));
    IMP_RETURN_IF_ERROR(check_names(s->else_body));
  }
  return ok_status();
}

}  // namespace

StatusOr<ChatTemplate> ChatTemplate::parse(std::string_view source) {
  IMP_ASSIGN_OR_RETURN(StmtList tree, jinja::parse_template(source));
  IMP_RETURN_IF_ERROR(check_names(tree));
  ChatTemplate t;
  t.source_ = std::make_shared<const std::string>(source);
  t.tree_ = std::make_shared<const StmtList>(std::move(tree));
  return t;
}

StatusOr<std::string> ChatTemplate::render_value(const jinja::Value& context) const {
  if (!context.is_dict()) return invalid_argument("chat template context must be a JSON object");
  jinja::Interpreter in(limits_, now_.value_or(std::chrono::system_clock::now()));
  return in.render(*tree_, context.dict());
}

StatusOr<std::string> ChatTemplate::render(const nlohmann::json& context) const {
  return render_value(jinja::from_json(context));
}

StatusOr<std::string> ChatTemplate::render(const nlohmann::ordered_json& context) const {
  return render_value(jinja::from_json(context));
}

namespace {

template <typename Json>
StatusOr<std::string> apply_impl(const ChatTemplate& tmpl, const Json& messages, const Json& tools,
                                 bool add_generation_prompt, const std::string& bos_token,
                                 const std::string& eos_token, const Json& extra) {
  Json ctx = Json::object();
  ctx["messages"] = messages;
  if (!tools.is_null()) ctx["tools"] = tools;
  ctx["add_generation_prompt"] = add_generation_prompt;
  ctx["bos_token"] = bos_token;
  ctx["eos_token"] = eos_token;
  if (!extra.is_null()) {
    if (!extra.is_object()) return invalid_argument("chat template kwargs must be a JSON object");
    for (auto it = extra.begin(); it != extra.end(); ++it) ctx[it.key()] = it.value();
  }
  return tmpl.render(ctx);
}

}  // namespace

StatusOr<std::string> apply_chat_template(const ChatTemplate& tmpl, const nlohmann::json& messages,
                                          const nlohmann::json& tools, bool add_generation_prompt,
                                          const std::string& bos_token,
                                          const std::string& eos_token,
                                          const nlohmann::json& extra) {
  return apply_impl(tmpl, messages, tools, add_generation_prompt, bos_token, eos_token, extra);
}

StatusOr<std::string> apply_chat_template(const ChatTemplate& tmpl,
                                          const nlohmann::ordered_json& messages,
                                          const nlohmann::ordered_json& tools,
                                          bool add_generation_prompt, const std::string& bos_token,
                                          const std::string& eos_token,
                                          const nlohmann::ordered_json& extra) {
  return apply_impl(tmpl, messages, tools, add_generation_prompt, bos_token, eos_token, extra);
}

std::string_view default_chat_template() {
  return "{%- for message in messages -%}\n"
         "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}\n"
         "{%- endfor -%}\n"
         "{%- if add_generation_prompt -%}\n"
         "{{- '<|im_start|>assistant\\n' -}}\n"
         "{%- endif -%}\n";
}

}  // namespace impetus

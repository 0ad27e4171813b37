// The syntax tree of a parsed Jinja template: expression nodes and statement
// nodes, both plain generic structs (a kind plus the fields that kind uses),
// built by parser.cc and walked by the interpreter.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/chat_template/value.h"

namespace impetus::jinja {

enum class ExprKind {
  kLiteral,  // literal
  kName,     // name
  kList,     // args = items
  kTuple,    // args = items
  kDict,     // args = k0, v0, k1, v1, ...
  kGetAttr,  // args[0] . name
  kGetItem,  // args[0] [ args[1] ]
  kSlice,    // args[0] [ args[1] : args[2] : args[3] ] (null = omitted)
  kCall,     // args[0] ( args[1..] , kwargs )
  kFilter,   // args[0] | name ( args[1..] , kwargs ); args[0] null in a filter block
  kTest,     // args[0] is name ( args[1..] , kwargs )
  kNot,      // not args[0]
  kNeg,      // - args[0]
  kPos,      // + args[0]
  kBinary,   // args[0] op args[1]: + - * / // % ** ~ and or
  kCompare,  // args[0] ops[0] args[1] ops[1] args[2] ...: == != < <= > >= in notin
  kCond,     // args[1] if args[0] else args[2] (args[2] null = undefined)
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind;
  int line = 0;
  Value literal;
  std::string name;  // variable, attribute, filter, test or operator
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<std::string> ops;  // kCompare
  // No variables, calls or context filters below: jinja2's optimizer folds
  // it at compile time (where a failed slice is Undefined, not a TypeError).
  bool constant = false;
};

enum class StmtKind {
  kText,         // text
  kOutput,       // {{ expr }}
  kIf,           // conds[i] -> bodies[i]; else_body
  kFor,          // for targets in expr [if cond] body else else_body
  kSet,          // set targets = expr; targets = ["ns.attr"] for namespace assignment
  kSetBlock,     // set targets[0] [| filter] body endset
  kMacro,        // macro name(params) body
  kCallBlock,    // call(params) expr body
  kFilterBlock,  // filter expr(filter chain) body
  kBreak,
  kContinue,
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using StmtList = std::vector<StmtPtr>;

struct MacroParam {
  std::string name;
  ExprPtr default_value;  // null = required
};

struct Stmt {
  StmtKind kind;
  int line = 0;
  std::string text;                  // kText; kMacro name
  ExprPtr expr;                      // kOutput, kFor iterable, kSet value, kCallBlock call, filters
  ExprPtr cond;                      // kFor filter
  std::vector<std::string> targets;  // kFor / kSet names (tuple unpacking when > 1)
  bool target_is_tuple = false;      // `for (a,) in ...` / `set a, = ...`
  std::vector<ExprPtr> conds;        // kIf
  std::vector<StmtList> bodies;      // kIf branches
  StmtList body;
  StmtList else_body;
  std::vector<MacroParam> params;  // kMacro, kCallBlock
  std::string ns_attr;             // kSet: `set ns.attr = ...` (targets[0] = ns)
  bool constant = false;           // kOutput: no variables or calls (jinja2 folds it)
};

// Sets Expr::constant and Stmt::constant throughout a parsed template
// (constants.cc).
void mark_constants(StmtList* body);

}  // namespace impetus::jinja

#include "tokenizer/chat_template/lexer.h"

#include <cctype>
#include <cstring>

#include "tokenizer/chat_template/py_string.h"
#include "tokenizer/utf8.h"

namespace impetus::jinja {
namespace {

// \r\n and \r become \n; one trailing newline is dropped (keep_trailing_newline=False).
std::string normalize_newlines(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out += '\n';
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      out += s[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Length in bytes of the Python-whitespace character at `pos` (0 if none).
size_t ws_len(std::string_view s, size_t pos) {
  if (pos >= s.size()) return 0;
  const auto c = static_cast<unsigned char>(s[pos]);
  if (c < 0x80) return py_isspace(c) ? 1 : 0;
  const Utf8Decoded d = utf8_decode(s, pos);
  return (d.status == Utf8Status::kValid && py_isspace(d.cp)) ? d.len : 0;
}

size_t skip_ws(std::string_view s, size_t pos) {
  while (size_t n = ws_len(s, pos)) pos += n;
  return pos;
}

// Python's str.rstrip() on text.
std::string_view rstrip_ws(std::string_view s) {
  const std::string stripped = py_strip(s, StripSide::kRight, std::nullopt);
  return s.substr(0, stripped.size());
}

bool all_ws(std::string_view s) {
  if (s.empty()) return false;  // whitespace_re.fullmatch needs one character
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t n = ws_len(s, pos);
    if (n == 0) return false;
    pos += n;
  }
  return true;
}

int count_newlines(std::string_view s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

void append_utf8(uint32_t cp, std::string* out) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  utf8_append(cp, out);
}

// Decodes a string literal body the way Python's unicode-escape codec does.
Status decode_string(std::string_view body, std::string* out) {
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\' || i + 1 >= body.size()) {
      *out += body[i];
      continue;
    }
    const char e = body[++i];
    switch (e) {
      case '\n':
        break;
      case '\\':
        *out += '\\';
        break;
      case '\'':
        *out += '\'';
        break;
      case '"':
        *out += '"';
        break;
      case 'a':
        *out += '\a';
        break;
      case 'b':
        *out += '\b';
        break;
      case 'f':
        *out += '\f';
        break;
      case 'n':
        *out += '\n';
        break;
      case 'r':
        *out += '\r';
        break;
      case 't':
        *out += '\t';
        break;
      case 'v':
        *out += '\v';
        break;
      case 'x':
      case 'u':
      case 'U': {
        const size_t n = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
        if (i + n >= body.size()) {
          return invalid_argument("truncated \\" + std::string(1, e) + " escape in string");
        }
        uint32_t cp = 0;
        for (size_t k = 1; k <= n; ++k) {
          const char h = body[i + k];
          if (!std::isxdigit(static_cast<unsigned char>(h))) {
            return invalid_argument("truncated \\" + std::string(1, e) + " escape in string");
          }
          cp = cp * 16 + static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(h))
                                                   ? h - '0'
                                                   : std::tolower(h) - 'a' + 10);
        }
        if (cp > 0x10FFFF) return invalid_argument("illegal Unicode character in string");
        append_utf8(cp, out);
        i += n;
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          uint32_t cp = static_cast<uint32_t>(e - '0');
          for (int k = 0; k < 2 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7';
               ++k) {
            cp = cp * 8 + static_cast<uint32_t>(body[++i] - '0');
          }
          append_utf8(cp, out);
        } else {
          *out += '\\';
          *out += e;
        }
    }
  }
  return ok_status();
}

class Lexer {
 public:
  explicit Lexer(std::string_view source) : src_(normalize_newlines(source)) {}

  StatusOr<std::vector<Token>> run() {
    while (pos_ < src_.size()) IMP_RETURN_IF_ERROR(root_step());
    out_.push_back({TokenKind::kEof, "", line_});
    return std::move(out_);
  }

 private:
  Status error(const std::string& msg) const {
    return invalid_argument("template syntax error (line " + std::to_string(line_) + "): " + msg);
  }

  void emit(TokenKind kind, std::string value, std::string_view consumed) {
    out_.push_back({kind, std::move(value), line_});
    line_ += count_newlines(consumed);
  }

  void set_line_starting(std::string_view matched) {
    line_starting_ = !matched.empty() && matched.back() == '\n';
  }

  // Text before a tag, with `-` stripping or lstrip_blocks applied.
  void emit_text(std::string_view text, char sign, bool is_variable) {
    std::string_view kept = text;
    if (sign == '-') {
      kept = rstrip_ws(text);
    } else if (sign != '+' && !is_variable) {
      const size_t nl = text.rfind('\n');
      const size_t l_pos = nl == std::string_view::npos ? 0 : nl + 1;
      if ((l_pos > 0 || line_starting_) && all_ws(text.substr(l_pos))) kept = text.substr(0, l_pos);
    }
    if (!kept.empty()) out_.push_back({TokenKind::kText, std::string(kept), line_});
    line_ += count_newlines(text);
  }

  // Matches `{%[-+]?\s*raw\s*(-%}\s*|%})` at `at`; returns its end or npos.
  size_t match_raw_begin(size_t at) const {
    size_t p = at + 2;
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) ++p;
    p = skip_ws(src_, p);
    if (src_.compare(p, 3, "raw") != 0) return std::string::npos;
    p = skip_ws(src_, p + 3);
    if (src_.compare(p, 3, "-%}") == 0) return skip_ws(src_, p + 3);
    if (src_.compare(p, 2, "%}") == 0) return p + 2;
    return std::string::npos;
  }

  Status root_step() {
    size_t at = pos_;
    while (true) {
      at = src_.find('{', at);
      if (at == std::string::npos || at + 1 >= src_.size()) {
        emit_text(std::string_view(src_).substr(pos_), '+', true);
        pos_ = src_.size();
        return ok_status();
      }
      const char c = src_[at + 1];
      if (c == '{' || c == '%' || c == '#') break;
      ++at;
    }
    const char kind = src_[at + 1];
    const char sign = (at + 2 < src_.size() && (src_[at + 2] == '-' || src_[at + 2] == '+'))
                          ? src_[at + 2]
                          : '\0';
    emit_text(std::string_view(src_).substr(pos_, at - pos_), sign, kind == '{');
    line_starting_ = false;
    if (kind == '%') {
      const size_t raw_end = match_raw_begin(at);
      if (raw_end != std::string::npos) {
        line_ += count_newlines(std::string_view(src_).substr(at, raw_end - at));
        set_line_starting(std::string_view(src_).substr(at, raw_end - at));
        pos_ = raw_end;
        return lex_raw();
      }
    }
    pos_ = at + 2 + (sign != '\0' ? 1 : 0);
    if (kind == '#') return lex_comment();
    return lex_tag(kind == '{');
  }

  Status lex_comment() {
    const size_t end = src_.find("#}", pos_);
    if (end == std::string::npos) return error("missing end of comment tag");
    const char sign = end > pos_ ? src_[end - 1] : '\0';
    size_t after = end + 2;
    if (sign == '-') {
      after = skip_ws(src_, after);
    } else if (sign != '+' && after < src_.size() && src_[after] == '\n') {
      ++after;  // trim_blocks
    }
    line_ += count_newlines(std::string_view(src_).substr(pos_, after - pos_));
    set_line_starting(std::string_view(src_).substr(pos_, after - pos_));
    pos_ = after;
    return ok_status();
  }

  Status lex_raw() {
    // Find `{%[-+]?\s*endraw\s*(+%}|-%}\s*|%}\n?)`.
    size_t at = pos_;
    while (true) {
      at = src_.find("{%", at);
      if (at == std::string::npos) return error("missing end of raw directive");
      size_t p = at + 2;
      const char sign = (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) ? src_[p] : '\0';
      if (sign) ++p;
      p = skip_ws(src_, p);
      if (src_.compare(p, 6, "endraw") != 0) {
        at += 2;
        continue;
      }
      p = skip_ws(src_, p + 6);
      size_t end;
      if (src_.compare(p, 3, "+%}") == 0) {
        end = p + 3;
      } else if (src_.compare(p, 3, "-%}") == 0) {
        end = skip_ws(src_, p + 3);
      } else if (src_.compare(p, 2, "%}") == 0) {
        end = p + 2;
        if (end < src_.size() && src_[end] == '\n') ++end;
      } else {
        at += 2;
        continue;
      }
      emit_text(std::string_view(src_).substr(pos_, at - pos_), sign, false);
      line_ += count_newlines(std::string_view(src_).substr(at, end - at));
      set_line_starting(std::string_view(src_).substr(at, end - at));
      pos_ = end;
      return ok_status();
    }
  }

  // Returns the end of the tag-closing match at pos_, or npos.
  size_t match_tag_end(bool variable) const {
    const std::string_view s(src_);
    const char* close = variable ? "}}" : "%}";
    if (!variable && s.compare(pos_, 3, "+%}") == 0) return pos_ + 3;
    if (s.compare(pos_, 1, "-") == 0 && s.compare(pos_ + 1, 2, close) == 0) {
      return skip_ws(s, pos_ + 3);
    }
    if (s.compare(pos_, 2, close) == 0) {
      size_t end = pos_ + 2;
      if (!variable && end < s.size() && s[end] == '\n') ++end;
      return end;
    }
    return std::string::npos;
  }

  Status lex_tag(bool variable) {
    out_.push_back({variable ? TokenKind::kVarBegin : TokenKind::kBlockBegin, "", line_});
    std::string brackets;
    while (true) {
      const size_t ws = skip_ws(src_, pos_);
      if (ws != pos_) {
        line_ += count_newlines(std::string_view(src_).substr(pos_, ws - pos_));
        pos_ = ws;
      }
      if (pos_ >= src_.size())
        return error(variable ? "missing end of print tag" : "missing end of block tag");
      if (brackets.empty()) {
        const size_t end = match_tag_end(variable);
        if (end != std::string::npos) {
          const std::string_view m = std::string_view(src_).substr(pos_, end - pos_);
          emit(variable ? TokenKind::kVarEnd : TokenKind::kBlockEnd, "", m);
          set_line_starting(m);
          pos_ = end;
          return ok_status();
        }
      }
      IMP_RETURN_IF_ERROR(lex_one(&brackets));
    }
  }

  Status lex_one(std::string* brackets) {
    const std::string_view s(src_);
    const char c = s[pos_];
    if (std::isdigit(static_cast<unsigned char>(c))) return lex_number();
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
        static_cast<unsigned char>(c) >= 0x80) {
      size_t e = pos_ + 1;
      while (e < s.size() && (std::isalnum(static_cast<unsigned char>(s[e])) || s[e] == '_' ||
                              (static_cast<unsigned char>(s[e]) >= 0x80 && ws_len(s, e) == 0))) {
        ++e;
      }
      emit(TokenKind::kName, std::string(s.substr(pos_, e - pos_)), "");
      pos_ = e;
      return ok_status();
    }
    if (c == '\'' || c == '"') return lex_string();
    static constexpr std::string_view kTwo[] = {"//", "**", "==", "!=", ">=", "<="};
    for (std::string_view op : kTwo) {
      if (s.compare(pos_, 2, op) == 0) {
        emit(TokenKind::kOp, std::string(op), "");
        pos_ += 2;
        return ok_status();
      }
    }
    if (std::string_view("+-/*%~[](){}><=.:|,;").find(c) == std::string_view::npos) {
      return error(std::string("unexpected char '") + c + "'");
    }
    if (c == '(' || c == '[' || c == '{')
      brackets->push_back(c == '(' ? ')' : (c == '[' ? ']' : '}'));
    if (c == ')' || c == ']' || c == '}') {
      if (brackets->empty()) return error(std::string("unexpected '") + c + "'");
      if (brackets->back() != c) {
        return error(std::string("unexpected '") + c + "', expected '" + brackets->back() + "'");
      }
      brackets->pop_back();
    }
    emit(TokenKind::kOp, std::string(1, c), "");
    ++pos_;
    return ok_status();
  }

  // Digits with optional `_` separators starting at p; returns the end.
  size_t digits_end(size_t p, bool hex = false) const {
    const std::string_view s(src_);
    auto ok = [&](char ch) {
      return hex ? std::isxdigit(static_cast<unsigned char>(ch)) != 0
                 : std::isdigit(static_cast<unsigned char>(ch)) != 0;
    };
    if (p >= s.size() || !ok(s[p])) return p;
    ++p;
    while (p < s.size()) {
      if (ok(s[p])) {
        ++p;
      } else if (s[p] == '_' && p + 1 < s.size() && ok(s[p + 1])) {
        p += 2;
      } else {
        break;
      }
    }
    return p;
  }

  Status lex_number() {
    const std::string_view s(src_);
    auto strip_us = [](std::string_view t) {
      std::string r;
      for (char ch : t) {
        if (ch != '_') r += ch;
      }
      return r;
    };
    if (s[pos_] == '0' && pos_ + 1 < s.size() && std::strchr("bBoOxX", s[pos_ + 1]) != nullptr &&
        s[pos_ + 1] != '\0') {
      const size_t e = digits_end(pos_ + 2, true);
      if (e > pos_ + 2) {
        emit(TokenKind::kInt, strip_us(s.substr(pos_, e - pos_)), "");
        pos_ = e;
        return ok_status();
      }
    }
    size_t e = digits_end(pos_);
    bool is_float = false;
    if (e + 1 < s.size() && s[e] == '.' && std::isdigit(static_cast<unsigned char>(s[e + 1]))) {
      e = digits_end(e + 1);
      is_float = true;
    }
    if (e < s.size() && (s[e] == 'e' || s[e] == 'E')) {
      size_t p = e + 1;
      if (p < s.size() && (s[p] == '+' || s[p] == '-')) ++p;
      const size_t x = digits_end(p);
      if (x > p) {
        e = x;
        is_float = true;
      }
    }
    emit(is_float ? TokenKind::kFloat : TokenKind::kInt, strip_us(s.substr(pos_, e - pos_)), "");
    pos_ = e;
    return ok_status();
  }

  Status lex_string() {
    const char q = src_[pos_];
    size_t p = pos_ + 1;
    while (p < src_.size() && src_[p] != q) p += (src_[p] == '\\') ? 2 : 1;
    if (p >= src_.size()) return error("unterminated string literal");
    std::string value;
    const std::string_view body = std::string_view(src_).substr(pos_ + 1, p - pos_ - 1);
    IMP_RETURN_IF_ERROR(decode_string(body, &value).with_context("template syntax error"));
    emit(TokenKind::kString, std::move(value), body);
    pos_ = p + 1;
    return ok_status();
  }

  std::string src_;
  size_t pos_ = 0;
  int line_ = 1;
  bool line_starting_ = true;
  std::vector<Token> out_;
};

}  // namespace

StatusOr<std::vector<Token>> lex_template(std::string_view source) { return Lexer(source).run(); }

}  // namespace impetus::jinja

// StopMatcher: finds stop strings in generated text that arrives in pieces.
// Text that could still be the start of a stop string is held back, so a
// stop sequence split across tokens never leaks into the output; when a stop
// string completes, the text before it is released and generation ends.
//
//   StopMatcher m({"\n\n", "END"});
//   std::string out = m.push(piece);  // text safe to emit now
//   if (m.stopped()) ...              // a stop string was found (not emitted)
//   out += m.flush();                 // at the end: release what was held
#pragma once

#include <string>
#include <vector>

namespace impetus {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops = {});

  std::string push(const std::string& text);
  std::string flush();
  bool stopped() const { return stopped_; }
  const std::string& matched() const { return matched_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
  std::string matched_;
};

}  // namespace impetus

// Fuzz target for the GGUF reader and everything that reads metadata from
// it (model config, tokenizer): any bytes must give a Status, never a crash.
#include <cstddef>
#include <cstdint>

#include "model/arch/arch.h"
#include "model/formats/gguf_reader.h"
#include "model/model_config.h"
#include "tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = impetus::GgufFile::parse(std::span<const uint8_t>(data, size));
  if (!f.ok()) return 0;
  const impetus::GgufFile& g = **f;
  for (const auto& t : g.tensors()) {
    // Touch the first and last byte of every tensor: must be inside the buffer.
    if (t.n_bytes > 0) {
      volatile uint8_t a = t.data[0];
      volatile uint8_t b = t.data[t.n_bytes - 1];
      (void)a;
      (void)b;
    }
  }
  (void)impetus::read_model_config(g, impetus::RopeMode::kNormal);
  auto tok = impetus::Tokenizer::from_gguf(g);
  if (tok.ok()) {
    auto ids = (*tok)->encode("Hello world <s> 123", true, true);
    (void)(*tok)->decode(ids);
  }
  return 0;
}

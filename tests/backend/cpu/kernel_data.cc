#include "kernel_data.h"

#include <cmath>
#include <cstring>
#include <random>

#include "core/fp16.h"
#include "tensor/quant/quant.h"

namespace impetus::testing {

const std::vector<DType>& kernel_types() {
  static const std::vector<DType> t = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ4_0,
                                       DType::kQ4_1, DType::kQ5_0, DType::kQ5_1, DType::kQ8_0,
                                       DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};
  return t;
}

const std::vector<WeightKind>& weight_kinds() {
  static const std::vector<WeightKind> k = {WeightKind::kQuantized, WeightKind::kRawBytes,
                                            WeightKind::kMaxQuants, WeightKind::kMinQuants,
                                            WeightKind::kZeroRow};
  return k;
}

std::string weight_kind_name(WeightKind k) {
  switch (k) {
    case WeightKind::kQuantized:
      return "quantized";
    case WeightKind::kRawBytes:
      return "raw_bytes";
    case WeightKind::kMaxQuants:
      return "max_quants";
    case WeightKind::kMinQuants:
      return "min_quants";
    case WeightKind::kZeroRow:
      return "zero_row";
  }
  return "?";
}

const std::vector<ActKind>& act_kinds() {
  static const std::vector<ActKind> k = {ActKind::kNormal,        ActKind::kHuge, ActKind::kTiny,
                                         ActKind::kConstant,      ActKind::kZero, ActKind::kHalves,
                                         ActKind::kSubnormalScale};
  return k;
}

std::string act_kind_name(ActKind k) {
  switch (k) {
    case ActKind::kNormal:
      return "normal";
    case ActKind::kHuge:
      return "huge";
    case ActKind::kTiny:
      return "tiny";
    case ActKind::kConstant:
      return "constant";
    case ActKind::kZero:
      return "zero";
    case ActKind::kHalves:
      return "halves";
    case ActKind::kSubnormalScale:
      return "subnormal_scale";
  }
  return "?";
}

namespace {

void put_f16(uint8_t* p, float v) {
  const uint16_t h = f32_to_f16(v);
  std::memcpy(p, &h, 2);
}

// Byte offsets of the f16 scale fields of one block (d, then m / dmin if any).
std::vector<int> f16_fields(DType type) {
  switch (type) {
    case DType::kQ4_0:
    case DType::kQ5_0:
    case DType::kQ8_0:
      return {0};
    case DType::kQ4_1:
    case DType::kQ5_1:
    case DType::kQ4_K:
    case DType::kQ5_K:
      return {0, 2};
    case DType::kQ6_K:
      return {208};
    default:
      return {};
  }
}

// Float types: element values for a row of kind `kind`.
float float_weight(WeightKind kind, std::mt19937_64& rng) {
  std::normal_distribution<float> nd(0.0f, 1.0f);
  switch (kind) {
    case WeightKind::kQuantized:
      return nd(rng);
    case WeightKind::kRawBytes:
      return nd(rng) * 1e4f;
    case WeightKind::kMaxQuants:
      return 65504.0f;  // largest f16
    case WeightKind::kMinQuants:
      return -65504.0f;
    case WeightKind::kZeroRow:
      return 0.0f;
  }
  return 0.0f;
}

}  // namespace

std::vector<uint8_t> make_weights(DType type, WeightKind kind, int64_t n, int64_t n_rows,
                                  uint64_t seed) {
  std::mt19937_64 rng(seed);
  const auto row_bytes = static_cast<size_t>(dtype_row_bytes(type, n));
  std::vector<uint8_t> out(row_bytes * static_cast<size_t>(n_rows));
  std::vector<float> row(static_cast<size_t>(n));
  const bool quantized = dtype_info(type).is_quantized;
  for (int64_t r = 0; r < n_rows; ++r) {
    uint8_t* dst = out.data() + static_cast<size_t>(r) * row_bytes;
    if (!quantized || kind == WeightKind::kQuantized || kind == WeightKind::kZeroRow) {
      std::normal_distribution<float> nd(0.0f, 1.0f);
      for (auto& v : row) {
        v = quantized ? (kind == WeightKind::kZeroRow ? 0.0f : nd(rng)) : float_weight(kind, rng);
      }
      quantize_row(type, row.data(), dst, n);
      continue;
    }
    // Raw blocks: quant bytes random / all ones / all zeros, sane f16 scales.
    const uint8_t fill = kind == WeightKind::kMaxQuants ? 0xff : 0x00;
    for (size_t i = 0; i < row_bytes; ++i)
      dst[i] = kind == WeightKind::kRawBytes ? static_cast<uint8_t>(rng()) : fill;
    const auto block = static_cast<size_t>(dtype_type_size(type));
    std::uniform_real_distribution<float> ud(-2.0f, 2.0f);
    for (size_t b = 0; b < row_bytes; b += block) {
      for (int off : f16_fields(type))
        put_f16(dst + b + off, kind == WeightKind::kRawBytes ? ud(rng) : 1.0f);
    }
  }
  return out;
}

std::vector<float> make_acts(ActKind kind, int64_t n, int64_t n_tok, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n * n_tok));
  for (size_t i = 0; i < x.size(); ++i) {
    switch (kind) {
      case ActKind::kNormal:
        x[i] = nd(rng);
        break;
      case ActKind::kHuge:
        x[i] = nd(rng) * 1e25f;
        break;
      case ActKind::kTiny:
        x[i] = nd(rng) * 1e-30f;
        break;
      case ActKind::kConstant:
        x[i] = 3.0f;
        break;
      case ActKind::kZero:
        x[i] = 0.0f;
        break;
      // amax 127 per block (d = 1): values on .5 exercise round-half-away.
      case ActKind::kHalves:
        x[i] =
            (i % 32 == 0) ? 127.0f : static_cast<float>(static_cast<int>(rng() % 200) - 100) + 0.5f;
        break;
      // Block scales d = amax / 127 below FLT_MIN (subnormal) while 1 / d stays finite.
      case ActKind::kSubnormalScale:
        x[i] = (i % 32 == 0) ? 8e-37f : nd(rng) * 2e-37f;
        break;
    }
  }
  return x;
}

ActRows make_act_rows(cpu::ActFormat format, const std::vector<float>& x, int64_t n,
                      int64_t n_tok) {
  ActRows a;
  a.stride = cpu::act_row_bytes(format, n);
  a.bytes.assign(a.stride * static_cast<size_t>(n_tok), 0);
  const auto& scalar = cpu::kernel_table(cpu::Isa::kScalar);
  for (int64_t t = 0; t < n_tok; ++t) {
    const float* xt = x.data() + t * n;
    if (format == cpu::ActFormat::kQ8) {
      scalar.quantize_q8(xt, n, a.bytes.data() + static_cast<size_t>(t) * a.stride);
    } else {
      std::memcpy(a.bytes.data() + static_cast<size_t>(t) * a.stride, xt,
                  static_cast<size_t>(n) * sizeof(float));
    }
  }
  return a;
}

RefDot ref_dot(DType type, const uint8_t* w_row, cpu::ActFormat format, const uint8_t* act_row,
               int64_t n) {
  std::vector<float> w(static_cast<size_t>(n));
  dequantize_row(type, w_row, w.data(), n);
  RefDot r;
  for (int64_t i = 0; i < n; ++i) {
    double a;
    if (format == cpu::ActFormat::kQ8) {
      a = static_cast<double>(cpu::act_q8_qs(act_row)[i]) *
          cpu::act_q8_d(act_row, n)[i / cpu::kActBlock];
    } else {
      a = reinterpret_cast<const float*>(act_row)[i];
    }
    r.dot += static_cast<double>(w[i]) * a;
    r.mag += std::fabs(static_cast<double>(w[i]) * a);
  }
  return r;
}

}  // namespace impetus::testing

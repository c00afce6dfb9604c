#include "datasets/grounding/pil_resize.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace mdetr::grounding {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;  // PIL's fixed-point precision for 8-bit images

// For every output index: the first input index, how many inputs it reads, and their fixed-point
// weights. A triangle filter of support 1, widened by the scale when shrinking (antialiasing).
struct Coefficients {
  std::vector<int64_t> first, count;
  std::vector<int32_t> weights;  // out_size * ksize
  int64_t ksize = 0;
  bool fixed = false;  // every output has exactly ksize taps
};

// Taps whose fixed-point weight is zero are dropped from both ends of each window (the triangle
// filter gives the window edges weight 0 when enlarging): adding p * 0 changes nothing.
// pad: then give every output exactly ksize taps (zero weights added, the window shifted back from
// the end of the row), so the horizontal loop has a fixed trip count the compiler can unroll.
Coefficients Precompute(int64_t in_size, int64_t out_size, bool pad) {
  const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
  const double filterscale = std::max(scale, 1.0);
  const double support = 1.0 * filterscale;
  const int64_t max_taps = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
  std::vector<int64_t> first(static_cast<size_t>(out_size)), count(static_cast<size_t>(out_size));
  std::vector<int32_t> raw(static_cast<size_t>(out_size * max_taps), 0);
  std::vector<double> w(static_cast<size_t>(max_taps));
  int64_t ksize = 1;
  for (int64_t xx = 0; xx < out_size; ++xx) {
    const double center = (static_cast<double>(xx) + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    // Truncation after adding 0.5 (not floor), as PIL rounds the window ends.
    const int64_t xmin = std::max<int64_t>(static_cast<int64_t>(center - support + 0.5), 0);
    const int64_t xmax = std::min<int64_t>(static_cast<int64_t>(center + support + 0.5), in_size) - xmin;
    double total = 0.0;
    for (int64_t x = 0; x < xmax; ++x) {
      const double t = std::fabs((static_cast<double>(x + xmin) - center + 0.5) * ss);
      w[static_cast<size_t>(x)] = t < 1.0 ? 1.0 - t : 0.0;
      total += w[static_cast<size_t>(x)];
    }
    int32_t* k = &raw[static_cast<size_t>(xx * max_taps)];
    for (int64_t x = 0; x < xmax; ++x) {
      double v = w[static_cast<size_t>(x)];
      if (total != 0.0) v /= total;
      const double scaled = v * static_cast<double>(1 << kPrecisionBits);
      k[x] = static_cast<int32_t>(v < 0 ? -0.5 + scaled : 0.5 + scaled);
    }
    int64_t lo = 0, hi = xmax;
    while (hi - lo > 1 && k[lo] == 0) ++lo;
    while (hi - lo > 1 && k[hi - 1] == 0) --hi;
    std::copy(k + lo, k + hi, k);
    first[static_cast<size_t>(xx)] = xmin + lo;
    count[static_cast<size_t>(xx)] = hi - lo;
    ksize = std::max(ksize, hi - lo);
  }
  Coefficients c;
  c.ksize = ksize;
  c.fixed = pad && ksize <= in_size;
  c.first = std::move(first);
  c.count = std::move(count);
  c.weights.assign(static_cast<size_t>(out_size * ksize), 0);
  for (int64_t xx = 0; xx < out_size; ++xx) {
    const int64_t n = c.count[static_cast<size_t>(xx)];
    int64_t shift = 0;
    if (c.fixed) {
      shift = std::max<int64_t>(0, c.first[static_cast<size_t>(xx)] + ksize - in_size);
      c.first[static_cast<size_t>(xx)] -= shift;
      c.count[static_cast<size_t>(xx)] = ksize;
    }
    std::copy(&raw[static_cast<size_t>(xx * max_taps)], &raw[static_cast<size_t>(xx * max_taps + n)],
              &c.weights[static_cast<size_t>(xx * ksize + shift)]);
  }
  return c;
}

inline uint8_t Clip8(int32_t v) {
  const int32_t s = v >> kPrecisionBits;
  return static_cast<uint8_t>(std::clamp(s, 0, 255));
}

// One pass along rows (horizontal) of `rows` rows starting at input row `row0`. All channels of a
// pixel are accumulated together (as PIL does), so the input is read once, in order.
// Built for AVX2 as well as the baseline (picked at load time): AVX2 multiplies 8 int32 lanes in
// one instruction where SSE2 needs shuffles, and these two loops are most of a sample's cost.
#define MDETR_RESAMPLE_CLONES __attribute__((target_clones("avx2", "default")))

// Inlined into each clone below (clones cannot be templates).
template <int K>
__attribute__((always_inline)) inline void Horizontal3Taps(const uint8_t* in, int64_t width, int64_t row0,
                                                           int64_t rows, const Coefficients& c, int64_t out_width,
                                                           uint8_t* out) {
  const int32_t half = 1 << (kPrecisionBits - 1);
  for (int64_t y = 0; y < rows; ++y) {
    const uint8_t* src = in + (row0 + y) * width * 3;
    uint8_t* dst = out + y * out_width * 3;
    for (int64_t xx = 0; xx < out_width; ++xx) {
      const int32_t* k = &c.weights[static_cast<size_t>(xx * K)];
      const uint8_t* p = src + c.first[static_cast<size_t>(xx)] * 3;
      int32_t a0 = half, a1 = half, a2 = half;
      for (int x = 0; x < K; ++x) {
        a0 += static_cast<int32_t>(p[3 * x]) * k[x];
        a1 += static_cast<int32_t>(p[3 * x + 1]) * k[x];
        a2 += static_cast<int32_t>(p[3 * x + 2]) * k[x];
      }
      dst[3 * xx] = Clip8(a0);
      dst[3 * xx + 1] = Clip8(a1);
      dst[3 * xx + 2] = Clip8(a2);
    }
  }
}

MDETR_RESAMPLE_CLONES
void Horizontal3Taps2(const uint8_t* in, int64_t width, int64_t row0, int64_t rows, const Coefficients& c,
                      int64_t out_width, uint8_t* out) {
  Horizontal3Taps<2>(in, width, row0, rows, c, out_width, out);
}

// Two taps, 3 channels, by hand in AVX2: the commonest case (every enlargement) and a quarter of a
// training sample's cost. The compiler cannot vectorise it (each output reads its own window), so
// each output pixel's window, six bytes, is widened to int32 lanes at once, multiplied by
// (k0,k0,k0,k1,k1,k1,0,0), and the two halves summed. Integer arithmetic as in the scalar loop, so
// the bytes are identical; the saturating packs are Clip8's clamp.
__attribute__((target("avx2"))) void Horizontal3Taps2Avx2(const uint8_t* in, int64_t width, int64_t row0,
                                                          int64_t rows, const Coefficients& c, int64_t out_width,
                                                          uint8_t* out) {
  const int64_t row_bytes = width * 3;
  // Each output loads 8 bytes and stores 4: the outputs whose load would pass the row's end, and
  // the row's last output (its store would), go through the scalar loop.
  int64_t vector_end = out_width - 1;
  while (vector_end > 0 && c.first[static_cast<size_t>(vector_end - 1)] * 3 + 8 > row_bytes) --vector_end;
  std::vector<int32_t> lane_weights(static_cast<size_t>(std::max<int64_t>(vector_end, 0)) * 8);
  for (int64_t xx = 0; xx < vector_end; ++xx) {
    const int32_t k0 = c.weights[static_cast<size_t>(2 * xx)], k1 = c.weights[static_cast<size_t>(2 * xx + 1)];
    const int32_t w[8] = {k0, k0, k0, k1, k1, k1, 0, 0};
    std::copy(w, w + 8, &lane_weights[static_cast<size_t>(8 * xx)]);
  }
  const __m256i half = _mm256_set1_epi32(1 << (kPrecisionBits - 1));
  const __m256i second_pixel = _mm256_setr_epi32(3, 4, 5, 7, 7, 7, 7, 7);
  const int32_t scalar_half = 1 << (kPrecisionBits - 1);
  for (int64_t y = 0; y < rows; ++y) {
    const uint8_t* src = in + (row0 + y) * row_bytes;
    uint8_t* dst = out + y * out_width * 3;
    for (int64_t xx = 0; xx < vector_end; ++xx) {
      const uint8_t* p = src + c.first[static_cast<size_t>(xx)] * 3;
      const __m256i pixels = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
      const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(&lane_weights[static_cast<size_t>(8 * xx)]));
      const __m256i products = _mm256_mullo_epi32(pixels, w);
      __m256i sum = _mm256_add_epi32(products, _mm256_permutevar8x32_epi32(products, second_pixel));
      sum = _mm256_srai_epi32(_mm256_add_epi32(sum, half), kPrecisionBits);
      const __m128i words = _mm_packs_epi32(_mm256_castsi256_si128(sum), _mm256_castsi256_si128(sum));
      const int32_t bytes = _mm_cvtsi128_si32(_mm_packus_epi16(words, words));
      std::memcpy(dst + 3 * xx, &bytes, 4);  // the 4th byte is overwritten by the next output
    }
    for (int64_t xx = std::max<int64_t>(vector_end, 0); xx < out_width; ++xx) {
      const int32_t* k = &c.weights[static_cast<size_t>(2 * xx)];
      const uint8_t* p = src + c.first[static_cast<size_t>(xx)] * 3;
      for (int ch = 0; ch < 3; ++ch) {
        dst[3 * xx + ch] = Clip8(scalar_half + static_cast<int32_t>(p[ch]) * k[0] + static_cast<int32_t>(p[3 + ch]) * k[1]);
      }
    }
  }
}

bool HasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}

MDETR_RESAMPLE_CLONES
void Horizontal3Taps4(const uint8_t* in, int64_t width, int64_t row0, int64_t rows, const Coefficients& c,
                      int64_t out_width, uint8_t* out) {
  Horizontal3Taps<4>(in, width, row0, rows, c, out_width, out);
}

MDETR_RESAMPLE_CLONES
void Horizontal3Taps3(const uint8_t* in, int64_t width, int64_t row0, int64_t rows, const Coefficients& c,
                      int64_t out_width, uint8_t* out) {
  Horizontal3Taps<3>(in, width, row0, rows, c, out_width, out);
}

MDETR_RESAMPLE_CLONES
void Horizontal3Taps5(const uint8_t* in, int64_t width, int64_t row0, int64_t rows, const Coefficients& c,
                      int64_t out_width, uint8_t* out) {
  Horizontal3Taps<5>(in, width, row0, rows, c, out_width, out);
}

MDETR_RESAMPLE_CLONES
void Horizontal3(const uint8_t* in, int64_t width, int64_t row0, int64_t rows, const Coefficients& c,
                 int64_t out_width, uint8_t* out) {
  constexpr int kChannels = 3;
  const int32_t half = 1 << (kPrecisionBits - 1);
  for (int64_t y = 0; y < rows; ++y) {
    const uint8_t* src = in + (row0 + y) * width * kChannels;
    uint8_t* dst = out + y * out_width * kChannels;
    for (int64_t xx = 0; xx < out_width; ++xx) {
      const int32_t* k = &c.weights[static_cast<size_t>(xx * c.ksize)];
      const uint8_t* p = src + c.first[static_cast<size_t>(xx)] * kChannels;
      const int64_t n = c.count[static_cast<size_t>(xx)];
      int32_t acc[kChannels];
      for (int ch = 0; ch < kChannels; ++ch) acc[ch] = half;
      for (int64_t x = 0; x < n; ++x, p += kChannels) {
        const int32_t kx = k[x];
        for (int ch = 0; ch < kChannels; ++ch) acc[ch] += static_cast<int32_t>(p[ch]) * kx;
      }
      for (int ch = 0; ch < kChannels; ++ch) dst[xx * kChannels + ch] = Clip8(acc[ch]);
    }
  }
}

void Horizontal(const uint8_t* in, int64_t width, int64_t channels, int64_t row0, int64_t rows,
                const Coefficients& c, int64_t out_width, uint8_t* out) {
  if (channels == 3 && c.fixed && c.ksize == 2) {
    if (HasAvx2()) return Horizontal3Taps2Avx2(in, width, row0, rows, c, out_width, out);
    return Horizontal3Taps2(in, width, row0, rows, c, out_width, out);
  }
  if (channels == 3 && c.fixed && c.ksize == 4) return Horizontal3Taps4(in, width, row0, rows, c, out_width, out);
  if (channels == 3 && c.fixed && c.ksize == 3) return Horizontal3Taps3(in, width, row0, rows, c, out_width, out);
  if (channels == 3 && c.fixed && c.ksize == 5) return Horizontal3Taps5(in, width, row0, rows, c, out_width, out);
  if (channels == 3) return Horizontal3(in, width, row0, rows, c, out_width, out);
  const int32_t half = 1 << (kPrecisionBits - 1);
  for (int64_t y = 0; y < rows; ++y) {
    const uint8_t* src = in + (row0 + y) * width * channels;
    uint8_t* dst = out + y * out_width * channels;
    for (int64_t xx = 0; xx < out_width; ++xx) {
      const int32_t* k = &c.weights[static_cast<size_t>(xx * c.ksize)];
      const uint8_t* p = src + c.first[static_cast<size_t>(xx)] * channels;
      const int64_t n = c.count[static_cast<size_t>(xx)];
      for (int64_t ch = 0; ch < channels; ++ch) {
        int32_t acc = half;
        for (int64_t x = 0; x < n; ++x) acc += static_cast<int32_t>(p[x * channels + ch]) * k[x];
        dst[xx * channels + ch] = Clip8(acc);
      }
    }
  }
}

MDETR_RESAMPLE_CLONES
void Vertical(const uint8_t* in, int64_t width, int64_t channels, const Coefficients& c, int64_t row_shift,
              int64_t out_height, uint8_t* out) {
  const int32_t half = 1 << (kPrecisionBits - 1);
  const int64_t stride = width * channels;
  std::vector<int32_t> acc(static_cast<size_t>(stride));
  for (int64_t yy = 0; yy < out_height; ++yy) {
    const int32_t* k = &c.weights[static_cast<size_t>(yy * c.ksize)];
    const int64_t first = c.first[static_cast<size_t>(yy)] - row_shift;
    const int64_t n = c.count[static_cast<size_t>(yy)];
    std::fill(acc.begin(), acc.end(), half);
    // Row by row, so the inner loop runs over contiguous memory.
    for (int64_t y = 0; y < n; ++y) {
      const uint8_t* src = in + (first + y) * stride;
      const int32_t ky = k[y];
      for (int64_t i = 0; i < stride; ++i) acc[static_cast<size_t>(i)] += static_cast<int32_t>(src[i]) * ky;
    }
    uint8_t* dst = out + yy * stride;
    for (int64_t i = 0; i < stride; ++i) dst[i] = Clip8(acc[static_cast<size_t>(i)]);
  }
}

}  // namespace

void PilBilinearResize(const uint8_t* in, int64_t height, int64_t width, int64_t channels, int64_t out_height,
                       int64_t out_width, uint8_t* out) {
  const bool horizontal = out_width != width;
  const bool vertical = out_height != height;
  if (!horizontal && !vertical) {
    std::copy(in, in + height * width * channels, out);
    return;
  }
  const Coefficients cv = Precompute(height, out_height, /*pad=*/false);
  if (!horizontal) {
    Vertical(in, width, channels, cv, 0, out_height, out);
    return;
  }
  const Coefficients ch = Precompute(width, out_width, /*pad=*/true);
  if (!vertical) {
    Horizontal(in, width, channels, 0, height, ch, out_width, out);
    return;
  }
  // Only the input rows the vertical pass reads go through the horizontal pass.
  const int64_t first_row = cv.first.front();
  const int64_t last_row = cv.first.back() + cv.count.back();
  std::vector<uint8_t> tmp(static_cast<size_t>((last_row - first_row) * out_width * channels));
  Horizontal(in, width, channels, first_row, last_row - first_row, ch, out_width, tmp.data());
  Vertical(tmp.data(), out_width, channels, cv, first_row, out_height, out);
}

}  // namespace mdetr::grounding

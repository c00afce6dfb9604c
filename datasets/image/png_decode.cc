// PNG decoding through libpng's low-level API. The simplified png_image API is not used because it
// composites alpha and applies gamma, which PIL's convert("RGB") does not.
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <vector>

#include <png.h>

#include "datasets/image/codec.h"

namespace mdetr::image {
namespace {

// Shared with libpng's callbacks. Plain data only: libpng leaves through longjmp.
struct ReadContext {
  const unsigned char* data = nullptr;
  size_t size = 0;
  size_t offset = 0;
  char error[256] = {0};
};

void OnError(png_structp png, png_const_charp message) {
  auto* ctx = static_cast<ReadContext*>(png_get_error_ptr(png));
  std::snprintf(ctx->error, sizeof(ctx->error), "%s", message);
  png_longjmp(png, 1);
}

void OnWarning(png_structp /*png*/, png_const_charp /*message*/) {}

void OnRead(png_structp png, png_bytep out, png_size_t length) {
  auto* ctx = static_cast<ReadContext*>(png_get_io_ptr(png));
  if (length > ctx->size - ctx->offset) png_error(png, "file is truncated");
  std::memcpy(out, ctx->data + ctx->offset, length);
  ctx->offset += length;
}

// Rows as libpng delivers them after the transforms chosen in ReadRows.
struct DecodedRows {
  int width = 0;
  int height = 0;
  int channels = 0;          // 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
  int bytes_per_sample = 1;  // 2 only for 16-bit grayscale, kept whole to clamp like PIL
  std::vector<unsigned char> pixels;
  std::vector<png_bytep> row_pointers;
};

// Runs every libpng call that may longjmp. Owns no object with a destructor, so the jump skips
// nothing; all buffers live in `rows`, owned by the caller.
bool ReadRows(png_structp png, png_infop info, DecodedRows* rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_info(png, info);
  if (static_cast<int64_t>(png_get_image_width(png, info)) * png_get_image_height(png, info) >
      kMaxImagePixels) {
    png_error(png, "image exceeds the pixel limit (PIL's decompression-bomb threshold)");
  }
  const int color_type = png_get_color_type(png, info);
  const int bit_depth = png_get_bit_depth(png, info);
  const bool gray = (color_type & PNG_COLOR_MASK_COLOR) == 0 && color_type != PNG_COLOR_TYPE_PALETTE;
  const bool gray16 = color_type == PNG_COLOR_TYPE_GRAY && bit_depth == 16;
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (gray && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (bit_depth == 16 && !gray16) png_set_strip_16(png);  // PIL's ";16B" raw modes keep the high byte
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  rows->width = static_cast<int>(png_get_image_width(png, info));
  rows->height = static_cast<int>(png_get_image_height(png, info));
  rows->channels = png_get_channels(png, info);
  rows->bytes_per_sample = gray16 ? 2 : 1;
  const size_t row_bytes = png_get_rowbytes(png, info);
  if (row_bytes != static_cast<size_t>(rows->width) * rows->channels * rows->bytes_per_sample) {
    png_error(png, "unexpected row layout after transforms");
  }
  rows->pixels.resize(row_bytes * rows->height);
  rows->row_pointers.resize(rows->height);
  for (int y = 0; y < rows->height; ++y) rows->row_pointers[y] = rows->pixels.data() + row_bytes * y;
  png_read_image(png, rows->row_pointers.data());
  png_read_end(png, nullptr);
  return true;
}

Image ToRgb(const DecodedRows& rows) {
  Image image(rows.width, rows.height);
  const size_t n = static_cast<size_t>(rows.width) * rows.height;
  const unsigned char* in = rows.pixels.data();
  unsigned char* out = image.data();
  for (size_t i = 0; i < n; ++i, out += 3) {
    if (rows.bytes_per_sample == 2) {
      // PIL opens 16-bit gray as "I;16"; convert("RGB") clamps the value instead of scaling it.
      const unsigned value = (static_cast<unsigned>(in[2 * i]) << 8) | in[2 * i + 1];
      out[0] = out[1] = out[2] = static_cast<unsigned char>(value > 255 ? 255 : value);
      continue;
    }
    const unsigned char* p = in + i * rows.channels;
    if (rows.channels <= 2) {
      out[0] = out[1] = out[2] = p[0];
    } else {
      out[0] = p[0];
      out[1] = p[1];
      out[2] = p[2];
    }
  }
  return image;
}

}  // namespace

Result<Image> DecodePng(std::string_view bytes, const std::string& source) {
  if (bytes.size() < 8 || png_sig_cmp(reinterpret_cast<png_const_bytep>(bytes.data()), 0, 8) != 0) {
    return DataLossError(source + ": not a PNG file (bad signature)");
  }
  ReadContext ctx;
  ctx.data = reinterpret_cast<const unsigned char*>(bytes.data());
  ctx.size = bytes.size();
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, OnError, OnWarning);
  if (png == nullptr) return ResourceExhaustedError(source + ": could not create a PNG reader");
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return ResourceExhaustedError(source + ": could not create a PNG reader");
  }
  png_set_read_fn(png, &ctx, OnRead);
  DecodedRows rows;
  const bool ok = ReadRows(png, info, &rows);
  png_destroy_read_struct(&png, &info, nullptr);
  if (!ok) return DataLossError(source + ": not a decodable PNG (" + ctx.error + ")");
  return ToRgb(rows);
}

}  // namespace mdetr::image

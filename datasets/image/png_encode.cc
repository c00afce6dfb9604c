// PNG encoding through libpng, for pictures we write (predictions drawn on images, curves).
#include <csetjmp>
#include <cstdio>
#include <fstream>
#include <vector>

#include <png.h>

#include "datasets/image/codec.h"

namespace mdetr::image {
namespace {

struct WriteContext {
  std::string* out = nullptr;
  char error[256] = {0};
};

void OnError(png_structp png, png_const_charp message) {
  auto* ctx = static_cast<WriteContext*>(png_get_error_ptr(png));
  std::snprintf(ctx->error, sizeof(ctx->error), "%s", message);
  png_longjmp(png, 1);
}

void OnWarning(png_structp /*png*/, png_const_charp /*message*/) {}

void OnWrite(png_structp png, png_bytep data, png_size_t length) {
  auto* ctx = static_cast<WriteContext*>(png_get_io_ptr(png));
  ctx->out->append(reinterpret_cast<const char*>(data), length);
}

void OnFlush(png_structp /*png*/) {}

// All libpng calls that may longjmp; no local object has a destructor (see png_decode.cc).
bool WriteRows(png_structp png, png_infop info, const Image& image, png_bytep* rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_IHDR(png, info, static_cast<png_uint_32>(image.width()), static_cast<png_uint_32>(image.height()),
               8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 6);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  return true;
}

}  // namespace

Result<std::string> EncodePng(const Image& image) {
  if (image.empty()) return InvalidArgumentError("cannot encode an empty image as PNG");
  std::string out;
  WriteContext ctx;
  ctx.out = &out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, OnError, OnWarning);
  if (png == nullptr) return ResourceExhaustedError("could not create a PNG writer");
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    return ResourceExhaustedError("could not create a PNG writer");
  }
  png_set_write_fn(png, &ctx, OnWrite, OnFlush);
  std::vector<png_bytep> rows(image.height());
  for (int y = 0; y < image.height(); ++y) rows[y] = const_cast<png_bytep>(image.row(y));
  const bool ok = WriteRows(png, info, image, rows.data());
  png_destroy_write_struct(&png, &info);
  if (!ok) return InternalError(std::string("PNG encoding failed: ") + ctx.error);
  return out;
}

Status WritePngFile(const Image& image, const std::string& path) {
  MDETR_ASSIGN_OR_RETURN(std::string bytes, EncodePng(image));
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return NotFoundError(path + ": cannot open for writing");
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.close();
  if (!file) return ResourceExhaustedError(path + ": write failed (disk full?)");
  return Status::Ok();
}

}  // namespace mdetr::image

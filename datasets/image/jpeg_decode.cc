// JPEG decoding through the TurboJPEG API.
#include <cstring>
#include <memory>
#include <vector>

#include <turbojpeg.h>

#include "datasets/image/codec.h"

namespace mdetr::image {
namespace {

struct TjHandleCloser {
  void operator()(void* handle) const { tjDestroy(handle); }
};
using TjHandle = std::unique_ptr<void, TjHandleCloser>;

// PIL's cmyk2rgb (MULDIV255 rounding) applied to Adobe-inverted samples, so CMYK files give the
// same RGB as the reference loader.
uint8_t CmykChannel(uint8_t stored_ink, uint8_t stored_black) {
  const int ink = 255 - stored_ink;
  const int not_black = stored_black;  // 255 - (255 - stored)
  const int tmp = ink * not_black + 128;
  const int scaled = ((tmp >> 8) + tmp) >> 8;
  const int v = not_black - scaled;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

Status DecodeError(const std::string& source, void* handle, const char* what) {
  return DataLossError(source + ": not a decodable JPEG (" + what + ": " + tjGetErrorStr2(handle) + ")");
}

}  // namespace

Result<Image> DecodeJpeg(std::string_view bytes, const std::string& source) {
  TjHandle handle(tjInitDecompress());
  if (!handle) return InternalError(source + ": could not create a TurboJPEG decompressor");
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto size = static_cast<unsigned long>(bytes.size());  // NOLINT(runtime/int): TurboJPEG API type
  int width = 0;
  int height = 0;
  int subsampling = 0;
  int colorspace = 0;
  if (tjDecompressHeader3(handle.get(), data, size, &width, &height, &subsampling, &colorspace) != 0) {
    return DecodeError(source, handle.get(), "header");
  }
  if (width <= 0 || height <= 0) return DataLossError(source + ": JPEG header has an empty size");
  if (static_cast<int64_t>(width) * height > kMaxImagePixels) {
    return InvalidArgumentError(source + ": JPEG of " + std::to_string(width) + "x" + std::to_string(height) +
                                " pixels exceeds the " + std::to_string(kMaxImagePixels) + "-pixel limit");
  }
  const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  const int pixel_format = cmyk ? TJPF_CMYK : TJPF_RGB;
  const int channels = tjPixelSize[pixel_format];
  Image image(width, height);
  std::vector<unsigned char> cmyk_buffer;
  unsigned char* target = image.data();
  if (cmyk) {
    cmyk_buffer.resize(static_cast<size_t>(width) * height * channels);
    target = cmyk_buffer.data();
  }
  if (tjDecompress2(handle.get(), data, size, target, width, width * channels, height, pixel_format,
                    TJFLAG_ACCURATEDCT) != 0) {
    // libjpeg reports recoverable damage as a warning and fills the rest with grey; PIL refuses a
    // truncated file ("image file is truncated") but accepts other warnings, and so do we.
    const bool warning_only = tjGetErrorCode(handle.get()) == TJERR_WARNING;
    const char* message = tjGetErrorStr2(handle.get());
    if (!warning_only || std::strstr(message, "Premature end") != nullptr) {
      return DecodeError(source, handle.get(), "data");
    }
  }
  if (cmyk) {
    for (size_t i = 0, n = static_cast<size_t>(width) * height; i < n; ++i) {
      const unsigned char* in = &cmyk_buffer[i * 4];
      unsigned char* out = image.data() + i * 3;
      out[0] = CmykChannel(in[0], in[3]);
      out[1] = CmykChannel(in[1], in[3]);
      out[2] = CmykChannel(in[2], in[3]);
    }
  }
  return image;
}

}  // namespace mdetr::image

// Decoding JPEG and PNG files into RGB images, and encoding RGB images as PNG.
//
// Decoding matches how the MDETR reference loads pictures, PIL's Image.open(path).convert("RGB"):
//  * EXIF orientation is ignored (the reference never calls ImageOps.exif_transpose), so the
//    returned size is the stored size.
//  * Alpha is dropped, not composited; palette PNGs are looked up, tRNS ignored.
//  * 16-bit PNG samples keep their high byte, except 16-bit grayscale, which PIL opens as "I;16"
//    and converts by clamping the value to 255.
//  * CMYK/YCCK JPEGs use PIL's CMYK -> RGB formula (R = 255 - C) * (255 - K) / 255 on the
//    de-inverted Adobe samples.
// Corrupt, truncated or unsupported input is a DataLoss/InvalidArgument status naming the source;
// it never aborts the process. Like PIL (DecompressionBombError), pictures of more than
// kMaxImagePixels pixels are refused before any pixel buffer is allocated, so a corrupt header
// cannot ask for gigabytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "datasets/image/image.h"

namespace mdetr::image {

enum class ImageFormat { kUnknown, kJpeg, kPng };

// PIL's limit: twice Image.MAX_IMAGE_PIXELS (89,478,485).
inline constexpr int64_t kMaxImagePixels = 2 * 89478485LL;

// Recognises the format from the leading magic bytes.
ImageFormat DetectFormat(std::string_view bytes);

// Decodes JPEG or PNG bytes; `source` names the input in error messages (usually the path).
Result<Image> DecodeImage(std::string_view bytes, const std::string& source);
Result<Image> DecodeJpeg(std::string_view bytes, const std::string& source);
Result<Image> DecodePng(std::string_view bytes, const std::string& source);

// Reads and decodes one file.
Result<Image> ReadImageFile(const std::string& path);

// Encodes an RGB image as an 8-bit PNG. The output depends only on the pixels (no time chunk),
// so equal images give byte-identical files.
Result<std::string> EncodePng(const Image& image);
Status WritePngFile(const Image& image, const std::string& path);

}  // namespace mdetr::image

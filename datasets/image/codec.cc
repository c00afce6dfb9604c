#include "datasets/image/codec.h"

#include <fstream>
#include <sstream>

namespace mdetr::image {

ImageFormat DetectFormat(std::string_view bytes) {
  if (bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
      static_cast<unsigned char>(bytes[1]) == 0xD8 && static_cast<unsigned char>(bytes[2]) == 0xFF) {
    return ImageFormat::kJpeg;
  }
  if (bytes.size() >= 8 && bytes.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) {
    return ImageFormat::kPng;
  }
  return ImageFormat::kUnknown;
}

Result<Image> DecodeImage(std::string_view bytes, const std::string& source) {
  switch (DetectFormat(bytes)) {
    case ImageFormat::kJpeg:
      return DecodeJpeg(bytes, source);
    case ImageFormat::kPng:
      return DecodePng(bytes, source);
    case ImageFormat::kUnknown:
      break;
  }
  if (bytes.empty()) return DataLossError(source + ": empty file, expected a JPEG or PNG image");
  return InvalidArgumentError(source + ": unsupported image format, expected JPEG or PNG");
}

Result<Image> ReadImageFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return NotFoundError(path + ": cannot open image file");
  std::ostringstream buffer;
  buffer << file.rdbuf();
  if (file.bad()) return DataLossError(path + ": read error");
  return DecodeImage(buffer.str(), path);
}

}  // namespace mdetr::image

// Decoding parity with the reference loader, PIL's Image.open(path).convert("RGB"), on the real
// images in ../shared/data and on fixtures covering grayscale, CMYK, palette, alpha, 16-bit,
// interlaced and EXIF-rotated files. Goldens come from tools/parity/images/make_image_goldens.py.
#include <cmath>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include "datasets/image/codec.h"

namespace mdetr::image {
namespace {

constexpr char kGoldens[] = "tests/image/testdata/pil_goldens.json";

nlohmann::json LoadGoldens() {
  std::ifstream in(kGoldens);
  EXPECT_TRUE(in) << kGoldens;
  return nlohmann::json::parse(in);
}

uint32_t Crc32(const Image& image) {
  return static_cast<uint32_t>(crc32(0L, image.data(), static_cast<uInt>(image.size_bytes())));
}

double ChannelMean(const Image& image, int channel) {
  double sum = 0;
  for (size_t i = channel; i < image.size_bytes(); i += 3) sum += image.data()[i];
  return sum / (static_cast<double>(image.width()) * image.height());
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

TEST(PilParityTest, EveryGoldenImageDecodesToPilSizeAndPixels) {
  const nlohmann::json goldens = LoadGoldens();
  ASSERT_GE(goldens["images"].size(), 30u);
  int jpeg_exact = 0;
  int jpeg_total = 0;
  for (const auto& g : goldens["images"]) {
    const std::string file = g["file"];
    SCOPED_TRACE(file + " (PIL mode " + g["pil_mode"].get<std::string>() + ")");
    auto decoded = ReadImageFile(file);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->width(), g["width"].get<int>());
    EXPECT_EQ(decoded->height(), g["height"].get<int>());
    // PNG is lossless, and the JPEG decoders (Debian's libjpeg-turbo 2.1.5 here, libjpeg-turbo 3.2.0
    // bundled with Pillow 13.0.0 for the goldens) were measured bit-identical on all 17 JPEGs, baseline,
    // progressive, grayscale and CMYK alike: so every pixel must equal PIL's.
    const bool exact = Crc32(*decoded) == g["crc32"].get<uint32_t>();
    EXPECT_TRUE(exact) << "pixels differ from PIL";
    for (int c = 0; c < 3; ++c) {
      EXPECT_NEAR(ChannelMean(*decoded, c), g["mean"][c].get<double>(), 1e-6) << "channel " << c;
    }
    if (EndsWith(file, ".jpg")) {
      ++jpeg_total;
      jpeg_exact += exact ? 1 : 0;
    }
  }
  EXPECT_GT(jpeg_total, 10);
  RecordProperty("jpeg_bit_exact", std::to_string(jpeg_exact) + "/" + std::to_string(jpeg_total));
}

TEST(PilParityTest, ExifOrientationIsIgnoredLikeTheReference) {
  // The fixture is 128x96 with Orientation=6 (display rotated to 96x128). The reference does not
  // call exif_transpose, so the stored size is what training sees.
  auto decoded = ReadImageFile("tests/image/testdata/exif_orientation6.jpg");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->width(), 128);
  EXPECT_EQ(decoded->height(), 96);
}

}  // namespace
}  // namespace mdetr::image

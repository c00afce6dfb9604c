#include "datasets/image/codec.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <zlib.h>

#include "datasets/image/draw.h"
#include "tests/support/test_paths.h"

namespace mdetr::image {
namespace {

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kJpeg = "../shared/data/flickr30k_entities/images/4945942737.jpg";
const std::string kPng = "../shared/data/coco/000000039769.png";

Image Pattern(int w, int h) {
  Image image(w, h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      image.Set(x, y,
                Rgb{static_cast<uint8_t>(x * 5), static_cast<uint8_t>(y * 7), static_cast<uint8_t>(x ^ y)});
    }
  }
  return image;
}

TEST(CodecTest, DetectsFormatFromMagicBytes) {
  EXPECT_EQ(DetectFormat(ReadBytes(kJpeg)), ImageFormat::kJpeg);
  EXPECT_EQ(DetectFormat(ReadBytes(kPng)), ImageFormat::kPng);
  EXPECT_EQ(DetectFormat("GIF89a...."), ImageFormat::kUnknown);
}

TEST(CodecTest, PngRoundTripIsLosslessAndDeterministic) {
  const Image image = Pattern(37, 23);
  auto bytes = EncodePng(image);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto again = EncodePng(image);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*bytes, *again);
  auto decoded = DecodePng(*bytes, "memory");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(*decoded == image);
}

TEST(CodecTest, WritePngFileThenReadBack) {
  const std::string dir = testing::MakeTempDir("image-codec");
  const Image image = Pattern(16, 9);
  ASSERT_TRUE(WritePngFile(image, dir + "/a.png").ok());
  auto decoded = ReadImageFile(dir + "/a.png");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(*decoded == image);
  EXPECT_EQ(WritePngFile(image, dir + "/missing/dir/a.png").code(), StatusCode::kNotFound);
}

TEST(CodecTest, TruncatedFilesAreErrorsNamingTheFile) {
  for (const std::string& path : {kJpeg, kPng}) {
    const std::string bytes = ReadBytes(path);
    for (size_t keep : {bytes.size() / 2, size_t{40}, size_t{10}}) {
      auto decoded = DecodeImage(std::string_view(bytes).substr(0, keep), path);
      ASSERT_FALSE(decoded.ok()) << path << " cut at " << keep;
      EXPECT_NE(decoded.status().message().find(path), std::string::npos) << decoded.status();
    }
  }
}

TEST(CodecTest, CorruptBytesNeverCrash) {
  for (const std::string& path : {kJpeg, kPng}) {
    std::string bytes = ReadBytes(path);
    // Flip bytes throughout the stream after the signature; any outcome but a crash is fine,
    // and errors must name the source.
    for (size_t i = 16; i < bytes.size(); i += bytes.size() / 17)
      bytes[i] = static_cast<char>(bytes[i] ^ 0x5A);
    auto decoded = DecodeImage(bytes, path);
    if (!decoded.ok()) EXPECT_NE(decoded.status().message().find(path), std::string::npos);
  }
}

TEST(CodecTest, NonImageAndMissingFiles) {
  auto empty = DecodeImage("", "empty.jpg");
  EXPECT_EQ(empty.status().code(), StatusCode::kDataLoss);
  auto text = DecodeImage("hello world", "notes.txt");
  EXPECT_EQ(text.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(text.status().message().find("notes.txt"), std::string::npos);
  auto missing = ReadImageFile("no/such/file.png");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("no/such/file.png"), std::string::npos);
}

TEST(CodecTest, PngWithBadChecksumIsDataLoss) {
  auto bytes = EncodePng(Pattern(8, 8));
  ASSERT_TRUE(bytes.ok());
  std::string broken = *bytes;
  broken[broken.size() / 2] = static_cast<char>(broken[broken.size() / 2] ^ 0xFF);  // inside IDAT
  auto decoded = DecodePng(broken, "broken.png");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(decoded.status().message().find("broken.png"), std::string::npos);
}

}  // namespace
}  // namespace mdetr::image

namespace mdetr::image {
namespace {

// Deterministic mutations (truncations, byte flips, header damage) of every fixture and real
// image: decoding must return a value or an error naming the source, never crash (run this
// suite under -DMDETR_SANITIZE=ON to also catch memory errors).
TEST(CodecFuzzTest, MutatedFilesNeverCrash) {
  std::vector<std::string> files = {kJpeg, kPng};
  for (const auto& entry : std::filesystem::directory_iterator("tests/image/testdata")) {
    const std::string ext = entry.path().extension().string();
    if (ext == ".png" || ext == ".jpg") files.push_back(entry.path().string());
  }
  uint64_t state = 12345;
  auto next = [&state]() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<size_t>(state >> 33);
  };
  int errors = 0;
  int decoded = 0;
  for (const std::string& path : files) {
    const std::string original = ReadBytes(path);
    for (int round = 0; round < 12; ++round) {
      std::string bytes = original;
      const size_t flips = 1 + next() % 8;
      for (size_t f = 0; f < flips; ++f) bytes[next() % bytes.size()] = static_cast<char>(next());
      if (round % 3 == 0) bytes.resize(next() % bytes.size());
      auto result = DecodeImage(bytes, path);
      if (result.ok()) {
        ++decoded;
        EXPECT_EQ(result->size_bytes(), static_cast<size_t>(result->width()) * result->height() * 3);
      } else {
        ++errors;
        EXPECT_NE(result.status().message().find(path), std::string::npos) << result.status();
      }
    }
  }
  EXPECT_GT(errors, 0);
  RecordProperty("decoded_despite_damage", decoded);
}

TEST(CodecTest, HugeDeclaredSizeIsRefusedBeforeAllocating) {
  // A valid PNG whose IHDR claims 60000 x 60000 pixels (3.6 G pixels).
  auto bytes = EncodePng(Pattern(4, 4));
  ASSERT_TRUE(bytes.ok());
  std::string png = *bytes;
  const unsigned char size[8] = {0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60};
  png.replace(16, 8, reinterpret_cast<const char*>(size), 8);
  // Re-sign the IHDR chunk (type + data, bytes 12..28) so only the size is wrong.
  const uint32_t crc = static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(png.data() + 12), 17));
  for (int i = 0; i < 4; ++i) png[29 + i] = static_cast<char>(crc >> (24 - 8 * i));
  auto decoded = DecodePng(png, "bomb.png");
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.status().message().find("bomb.png"), std::string::npos);
  EXPECT_NE(decoded.status().message().find("pixel limit"), std::string::npos) << decoded.status();
}

}  // namespace
}  // namespace mdetr::image

// TensorBoard event files: byte-for-byte what tensorboard's own proto serialisation and TFRecord writer
// produce (tests/data/tensorboard_goldens.json, from tools/parity/tensorboard/make_goldens.py), and a file
// written by EventFileWriter that reads back record by record with valid checksums.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/tensorboard/event_file.h"
#include "tests/support/test_paths.h"

namespace mdetr::tensorboard {
namespace {

std::string Hex(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

nlohmann::json Goldens() {
  std::ifstream in(testing::SourceDir() + "/tests/data/tensorboard_goldens.json");
  EXPECT_TRUE(in.good()) << "tests/data/tensorboard_goldens.json is missing";
  return nlohmann::json::parse(in);
}

uint64_t ReadLittleEndian(const std::string& s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<size_t>(i)]);
  return v;
}

uint32_t Masked(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

TEST(TensorBoardEventFileTest, Crc32cMatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);  // the CRC-32C check value of RFC 3720 / iSCSI
  EXPECT_EQ(Crc32c(""), 0u);
}

TEST(TensorBoardEventFileTest, RecordsAreByteIdenticalToTensorBoardsWriter) {
  const auto goldens = Goldens();
  const auto& fv = goldens["file_version"];
  EXPECT_EQ(Hex(FrameRecord(FileVersionEvent(fv["wall_time"].get<double>()))), fv["hex"].get<std::string>());
  ASSERT_GE(goldens["scalars"].size(), 3u);
  for (const auto& c : goldens["scalars"]) {
    const std::string ours = FrameRecord(ScalarEvent(c["wall_time"].get<double>(), c["step"].get<int64_t>(),
                                                     c["tag"].get<std::string>(), c["value"].get<float>()));
    EXPECT_EQ(Hex(ours), c["hex"].get<std::string>()) << c["tag"];
  }
}

TEST(TensorBoardEventFileTest, WrittenFileReadsBackRecordByRecord) {
  const std::string dir = testing::MakeTempDir("tb") + "/run";
  auto writer = EventFileWriter::Open(dir);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  for (int step = 1; step <= 5; ++step) {
    ASSERT_TRUE(writer->AddScalar("train/loss", step, 10.0 / step, 1795600000.0 + step).ok());
  }
  ASSERT_TRUE(writer->Flush().ok());
  const auto name = std::filesystem::path(writer->path()).filename().string();
  EXPECT_EQ(name.rfind("events.out.tfevents.", 0), 0u) << name;  // the prefix TensorBoard scans a folder for

  std::ifstream in(writer->path(), std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> payloads;
  for (size_t at = 0; at < file.size();) {
    ASSERT_LE(at + 12, file.size()) << "truncated record header at byte " << at;
    const uint64_t length = ReadLittleEndian(file, at, 8);
    EXPECT_EQ(ReadLittleEndian(file, at + 8, 4), Masked(Crc32c(file.substr(at, 8))));
    ASSERT_LE(at + 12 + length + 4, file.size()) << "truncated record at byte " << at;
    const std::string payload = file.substr(at + 12, length);
    EXPECT_EQ(ReadLittleEndian(file, at + 12 + length, 4), Masked(Crc32c(payload)));
    payloads.push_back(payload);
    at += 12 + length + 4;
  }
  ASSERT_EQ(payloads.size(), 6u);  // the file-version event, then one per scalar
  EXPECT_NE(payloads[0].find("brain.Event:2"), std::string::npos);
  EXPECT_EQ(payloads[3], ScalarEvent(1795600003.0, 3, "train/loss", static_cast<float>(10.0 / 3)));
}

TEST(TensorBoardEventFileTest, UnwritableFolderIsAnErrorNamingIt) {
  const std::string blocker = testing::MakeTempDir("tb") + "/not_a_dir";
  std::ofstream(blocker) << "x";
  auto writer = EventFileWriter::Open(blocker + "/run");
  ASSERT_FALSE(writer.ok());
  EXPECT_NE(writer.status().message().find(blocker), std::string::npos) << writer.status().ToString();
}

}  // namespace
}  // namespace mdetr::tensorboard

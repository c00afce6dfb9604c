// The unpickler on one object pickled by Python with every protocol (0-5), and on malformed input.
#include "model/io/pickle_reader.h"

#include <cstdint>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/checkpoint_io/expectations.h"

namespace mdetr::io {
namespace {

using testing::Expected;
using testing::FixturePath;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

TEST(PickleReaderTest, EveryProtocolRebuildsTheSameObject) {
  const auto& e = Expected()["pickles"];
  for (int protocol : e["protocols"].get<std::vector<int>>()) {
    SCOPED_TRACE("protocol " + std::to_string(protocol));
    std::string path = FixturePath("pickles/proto" + std::to_string(protocol) + ".pkl");
    std::string bytes = ReadFile(path);
    ASSERT_FALSE(bytes.empty()) << path;
    auto value = Unpickle(bytes, PickleSource{path, nullptr, nullptr});
    ASSERT_TRUE(value.ok()) << value.status();
    const PyValue& v = *value;
    EXPECT_EQ(v.keys(), e["keys"].get<std::vector<std::string>>());
    for (const auto& [key, expected] : e["ints"].items())
      EXPECT_EQ(v[key].ToInt().value(), expected.get<int64_t>()) << key;
    for (const auto& [key, expected] : e["floats"].items()) {
      EXPECT_EQ(v[key].ToDouble().value(), expected.get<double>()) << key;
    }
    for (const auto& [key, expected] : e["strs"].items()) {
      EXPECT_EQ(v[key].ToString().value(), expected.get<std::string>()) << key;
    }
    if (protocol >= 3) EXPECT_EQ(v["bytes"].kind(), PyKind::kBytes);  // protocols 0-2 go through _codecs
    EXPECT_EQ(Hex(v["bytes"].ToBytes().value()), e["bytes_hex"].get<std::string>());
    EXPECT_TRUE(v["none"].is_none());
    EXPECT_TRUE(v["true"].ToBool().value());
    EXPECT_FALSE(v["false"].ToBool().value());
    EXPECT_EQ(v["list"].kind(), PyKind::kList);
    EXPECT_EQ(v["list"].at(1).at(1).ToInt().value(), 3);
    EXPECT_EQ(v["tuple1"].kind(), PyKind::kTuple);
    EXPECT_EQ(v["tuple1"].size(), 1u);
    EXPECT_EQ(v["tuple3"].at(2).ToInt().value(), 3);
    EXPECT_EQ(v["tuple5"].at(4).ToInt().value(), 5);
    EXPECT_EQ(v["empty"].size(), 0u);
    EXPECT_EQ(v["set"].at(0).ToInt().value(), 7);
    EXPECT_EQ(v["od"].keys(), e["od_keys"].get<std::vector<std::string>>());
    EXPECT_EQ(v["int_keys"].item(5).ToString().value(), "five");
    EXPECT_EQ(v["int_keys"].item(0).ToString().value(), "zero");
    EXPECT_TRUE(v["int_keys"].item(1).is_missing());
    EXPECT_EQ(v["shared_b"].at(1).ToInt().value(), 5);  // a memo reference to shared_a's list
    EXPECT_EQ(v["ns"].class_name(), "argparse.Namespace");
    EXPECT_EQ(v["ns"].attr("x").ToInt().value(), 1);
    EXPECT_EQ(v["ns"].attr("name").ToString().value(), "n");
    EXPECT_EQ(v["path"].ToString().value(), e["path"].get<std::string>());
  }
}

// Pickles built opcode by opcode, for inputs Python would never write.
struct Pickle {
  std::string bytes = "\x80\x02";
  Pickle& Op(const std::string& s) {
    bytes += s;
    return *this;
  }
  Pickle& Str(const std::string& s) {
    bytes += 'X';
    for (int i = 0; i < 4; ++i) bytes += static_cast<char>((s.size() >> (8 * i)) & 0xff);
    bytes += s;
    return *this;
  }
  Pickle& Byte(int v) {
    bytes += 'K';
    bytes += static_cast<char>(v);
    return *this;
  }
  // _rebuild_tensor_v2 over FloatStorage '0' of `numel` elements, with a 1-D view of `size`.
  Pickle& Tensor(int numel, int offset, int size, const std::string& storage_class = "FloatStorage") {
    Op("ctorch._utils\n_rebuild_tensor_v2\n(");
    Op("(").Str("storage").Op("ctorch\n" + storage_class + "\n").Str("0").Str("cpu").Byte(numel).Op("tQ");
    Byte(offset).Op("(").Byte(size).Op("t(").Byte(1).Op("t\x89").Op("ccollections\nOrderedDict\n)R");
    return Op("tR");
  }
};

Status UnpickleStatus(const std::string& bytes, const PickleSource& source) {
  return Unpickle(bytes, source).status();
}

TEST(PickleReaderTest, MalformedPicklesAreDataLossWithOffsetAndOpcode) {
  PickleSource source{"test.pkl", nullptr, nullptr};
  struct Case {
    std::string bytes;
    std::string message;
  };
  const Case cases[] = {
      {Pickle().Op("\xff").bytes, "test.pkl: pickle offset 2, opcode 0xff: unknown opcode"},
      {Pickle().Op("s").bytes, "opcode 's': stack underflow"},
      {Pickle().Byte(1).bytes, "pickle ends without a STOP opcode"},
      {Pickle().Op("X").Op(std::string("\x10\x00\x00\x00", 4)).Op("ab").bytes, "needs 16 bytes but 2 remain"},
      {Pickle().Op("h\x05").bytes, "memo key 5 was never stored"},
      {Pickle().Op("u").bytes, "no MARK on the stack"},
      {Pickle().Byte(1).Byte(2).Op(".").bytes, "STOP with 2 values"},
      {Pickle().Op("\x80\x09").bytes, "unsupported pickle protocol 9"},
      {Pickle().Op("]").Byte(1).Byte(2).Op("s.").bytes, "SETITEM(S) on a list"},
      {Pickle().Tensor(6, 0, 6).Op(".").bytes, "references storage '0' but has no storages"},
  };
  for (const Case& c : cases) {
    Status status = UnpickleStatus(c.bytes, source);
    EXPECT_EQ(status.code(), StatusCode::kDataLoss) << c.message;
    EXPECT_NE(status.message().find(c.message), std::string::npos) << status;
  }
}

TEST(PickleReaderTest, TensorViewsAreCheckedAgainstTheirStorage) {
  float data[6] = {0, 1, 2, 3, 4, 5};
  int calls = 0;
  PickleSource source{"ckpt.pth:archive/data.pkl",
                      [&](const std::string& key, DType dtype, int64_t numel) -> Result<TensorView> {
                        ++calls;
                        EXPECT_EQ(key, "0");
                        EXPECT_EQ(dtype, DType::kFloat32);
                        return TensorView::Contiguous(dtype, {numel}, data);
                      },
                      nullptr};
  auto ok = Unpickle(Pickle().Tensor(6, 2, 4).Op(".").bytes, source);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->ToTensor()->ToDoubles(), (std::vector<double>{2, 3, 4, 5}));
  EXPECT_EQ(calls, 1);

  Status past_end = UnpickleStatus(Pickle().Tensor(6, 3, 4).Op(".").bytes, source);
  EXPECT_EQ(past_end.code(), StatusCode::kDataLoss);
  EXPECT_NE(past_end.message().find("ckpt.pth:archive/data.pkl: pickle offset"), std::string::npos)
      << past_end;
  EXPECT_NE(past_end.message().find("reaches element 6 but the storage holds 6 elements"), std::string::npos)
      << past_end;

  Status dtype = UnpickleStatus(Pickle().Tensor(6, 0, 6, "QuantizedStorage").Op(".").bytes, source);
  EXPECT_NE(dtype.message().find("unknown storage dtype 'torch.QuantizedStorage' for storage '0'"),
            std::string::npos)
      << dtype;
}

TEST(PickleReaderTest, UnknownCallablesAndClassesBecomeObjects) {
  // numpy.core.multiarray.scalar(dtype, b'...') and a NEWOBJ of an unknown class with BUILD state.
  std::string bytes = Pickle()
                          .Op("}(")
                          .Str("scalar")
                          .Op("cnumpy.core.multiarray\nscalar\n(")
                          .Byte(1)
                          .Op("tR")
                          .Str("obj")
                          .Op("cmy.module\nThing\n)\x81}(")
                          .Str("depth")
                          .Byte(6)
                          .Op("ub")
                          .Op("u.")
                          .bytes;
  auto v = Unpickle(bytes, PickleSource{"x.pkl", nullptr, nullptr});
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)["scalar"].class_name(), "numpy.core.multiarray.scalar");
  EXPECT_EQ((*v)["scalar"].args().at(0).ToInt().value(), 1);
  EXPECT_EQ((*v)["obj"].class_name(), "my.module.Thing");
  EXPECT_EQ((*v)["obj"].attr("depth").ToInt().value(), 6);
  EXPECT_EQ((*v)["obj"].Repr(), "my.module.Thing() state={'depth': 6}");
}

TEST(PickleReaderTest, IntegersWiderThan64BitsDoNotSpoilTheRest) {
  // {'big': 2**64 + 1 (LONG1 of 9 bytes), 'min': -2**63 (LONG1 of 9 bytes, a sign extension)}
  std::string bytes = Pickle()
                          .Op("}(")
                          .Str("big")
                          .Op("\x8a\x09")
                          .Op(std::string("\x01\x00\x00\x00\x00\x00\x00\x00\x01", 9))
                          .Str("min")
                          .Op("\x8a\x09")
                          .Op(std::string("\x00\x00\x00\x00\x00\x00\x00\x80\xff", 9))
                          .Op("u.")
                          .bytes;
  auto v = Unpickle(bytes, PickleSource{"x.pkl", nullptr, nullptr});
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)["min"].ToInt().value(), INT64_MIN);
  EXPECT_EQ((*v)["big"].ToInt().status().message(), "['big']: expected int, got object builtins.int");
}

}  // namespace
}  // namespace mdetr::io

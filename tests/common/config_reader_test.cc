#include "common/config/reader.h"

#include <gtest/gtest.h>

namespace mdetr::config {
namespace {

struct Toy {
  int epochs = 1;
  double lr = 0.1;
  bool ema = false;
  std::string name;
  std::vector<int> scales;
  std::string mode = "a";
};

Status ParseToy(const Document& doc, Toy* toy) {
  Errors errors;
  Object top(doc, &errors);
  top.Required("name", &toy->name);
  top.Section("train", [&](Object& t) {
    t.Optional("epochs", &toy->epochs);
    t.Optional("lr", &toy->lr);
    t.Optional("ema", &toy->ema);
    t.Optional("scales", &toy->scales);
    t.Choice("mode", &toy->mode, {"a", "b"});
    t.Check(toy->epochs > 0, "epochs", "must be > 0");
  });
  top.Finish();
  return errors.ToStatus();
}

Status ParseText(const std::string& text, Toy* toy) {
  auto doc = Document::Parse(text, "toy.yaml");
  if (!doc.ok()) return doc.status();
  return ParseToy(*doc, toy);
}

TEST(ReaderTest, ReadsTypedValuesAndKeepsDefaults) {
  Toy toy;
  ASSERT_TRUE(ParseText("name: x\ntrain:\n  epochs: 3\n  scales: [480, 512]\n", &toy).ok());
  EXPECT_EQ(toy.name, "x");
  EXPECT_EQ(toy.epochs, 3);
  EXPECT_DOUBLE_EQ(toy.lr, 0.1);
  EXPECT_EQ(toy.scales, (std::vector<int>{480, 512}));
}

TEST(ReaderTest, UnknownKeyNamesLocationAndSuggestsTheClosestKey) {
  Toy toy;
  Status s = ParseText("name: x\ntrain:\n  epocs: 3\n", &toy);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "toy.yaml:3:3: train.epocs: unknown key (did you mean 'epochs'?)");
}

TEST(ReaderTest, WrongTypeNamesExpectedTypeAndWhatWasFound) {
  Toy toy;
  EXPECT_EQ(ParseText("name: x\ntrain:\n  epochs: 3.5\n", &toy).message(),
            "toy.yaml:3:11: train.epochs: expected integer, got '3.5'");
  EXPECT_EQ(ParseText("name: x\ntrain:\n  lr: [1]\n", &toy).message(),
            "toy.yaml:3:7: train.lr: expected number, got a list");
  EXPECT_EQ(ParseText("name: x\ntrain:\n  ema: yes please\n", &toy).message(),
            "toy.yaml:3:8: train.ema: expected boolean (true/false), got 'yes please'");
  EXPECT_EQ(ParseText("name: x\ntrain:\n  scales: [480, big]\n", &toy).message(),
            "toy.yaml:3:11: train.scales: expected list of integer, got a list");
  EXPECT_EQ(ParseText("name: x\ntrain: 5\n", &toy).message(),
            "toy.yaml:2:8: train: expected a mapping, got '5'");
  EXPECT_EQ(ParseText("name: x\ntrain:\n  epochs: \"3\"\n", &toy).message(),
            "toy.yaml:3:11: train.epochs: expected integer, got '3'");
}

TEST(ReaderTest, MissingRequiredKeyNamesParentLocationAndType) {
  Toy toy;
  EXPECT_EQ(ParseText("train:\n  epochs: 3\n", &toy).message(),
            "toy.yaml:1:1: name: missing required key (string)");
}

TEST(ReaderTest, ChoicesAndChecksAreReported) {
  Toy toy;
  EXPECT_EQ(ParseText("name: x\ntrain:\n  mode: c\n", &toy).message(),
            "toy.yaml:3:9: train.mode: expected one of a, b, got 'c'");
  EXPECT_EQ(ParseText("name: x\ntrain:\n  epochs: 0\n", &toy).message(),
            "toy.yaml:3:11: train.epochs: must be > 0");
}

TEST(ReaderTest, ReportsEveryProblemNotJustTheFirst) {
  Toy toy;
  Status s = ParseText("nam: x\ntrain:\n  epochs: x\n  lrr: 1\n", &toy);
  const std::string& m = s.message();
  EXPECT_NE(m.find("name: missing required key"), std::string::npos) << m;
  EXPECT_NE(m.find("train.epochs: expected integer"), std::string::npos) << m;
  EXPECT_NE(m.find("train.lrr: unknown key (did you mean 'lr'?)"), std::string::npos) << m;
  EXPECT_NE(m.find("nam: unknown key (did you mean 'name'?)"), std::string::npos) << m;
}

TEST(ReaderTest, OverriddenValueErrorsPointAtTheOverride) {
  auto doc = Document::Parse("name: x\n", "toy.yaml");
  ASSERT_TRUE(doc.ok());
  ASSERT_TRUE(doc->ApplyOverride("train.epochs=many").ok());
  Toy toy;
  EXPECT_EQ(ParseToy(*doc, &toy).message(),
            "--set train.epochs=many: train.epochs: expected integer, got 'many'");
}

TEST(ReaderTest, EditDistance) {
  EXPECT_EQ(EditDistance("epochs", "epochs"), 0u);
  EXPECT_EQ(EditDistance("epocs", "epochs"), 1u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

}  // namespace
}  // namespace mdetr::config

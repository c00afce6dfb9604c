#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "datasets/annotations/flickr_entities.h"
#include "datasets/annotations/gqa_questions.h"

namespace mdetr::annotations {
namespace {

using ::testing::HasSubstr;

TEST(FlickrSentencesTest, MultiTypePhrasesAndBlankLines) {
  auto s =
      ParseFlickrSentences("\n[/EN#5/people/other Two men] look at [/EN#6/scene the sea] .\r\n\n", "m.txt");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ((*s)[0].text, "Two men look at the sea .");
  EXPECT_EQ((*s)[0].phrases[0].types, (std::vector<std::string>{"people", "other"}));
  EXPECT_EQ((*s)[0].phrases[1].begin, 16);
  EXPECT_EQ((*s)[0].phrases[1].end, 23);
}

TEST(FlickrSentencesTest, MalformedMarkupNamesFileAndLine) {
  auto open = ParseFlickrSentences("fine line .\n[/EN#1/people A girl sits .\n", "bad.txt");
  ASSERT_FALSE(open.ok());
  EXPECT_THAT(open.status().message(), HasSubstr("bad.txt:2"));
  auto header = ParseFlickrSentences("[/X#1 girl] .", "bad2.txt");
  ASSERT_FALSE(header.ok());
  EXPECT_THAT(header.status().message(), HasSubstr("bad2.txt:1: phrase header '[/X#1'"));
  EXPECT_EQ(ReadFlickrSentences("no/such.txt").status().code(), StatusCode::kNotFound);
}

TEST(FlickrXmlTest, MalformedFilesAreErrorsNotCrashes) {
  const char* cases[] = {
      "",
      "<annotation>",
      "<annotation><size><width>1</width></size></annotation>",
      "<annotation><size><width>1</width><height>2</height><depth>3</depth></size>"
      "<object><name>4</name><bndbox><xmin>a</xmin></bndbox></object></annotation>",
      "<annotation><size><width>1</width><height>2</height><depth>3</depth></size>"
      "<object><name>4</name><scene>0</scene></object></annotation>",
      "<annotation></wrong>",
  };
  for (const char* xml : cases) {
    auto r = ParseFlickrAnnotationXml(xml, "x.xml");
    ASSERT_FALSE(r.ok()) << xml;
    EXPECT_THAT(r.status().message(), HasSubstr("x.xml")) << xml;
  }
}

TEST(GqaQuestionsTest, RealQuestionFilesFromSharedData) {
  auto q = ReadGqaQuestions("../shared/data/gqa/questions.json");
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_EQ(q->size(), 1u);
  const GqaQuestion& g = (*q)[0];
  EXPECT_EQ(g.id, "202218649");
  EXPECT_EQ(g.image_id, "n578564");
  EXPECT_EQ(g.question, "What is hanging above the chalkboard?");
  EXPECT_EQ(g.answer, "picture");
  EXPECT_EQ(g.full_answer, "The picture is hanging above the chalkboard.");
  EXPECT_TRUE(g.is_balanced);
  EXPECT_EQ(g.type_semantic, "rel");
  EXPECT_EQ(g.type_detailed, "relS");
  EXPECT_EQ(g.type_structural, "query");
  ASSERT_EQ(g.semantic.size(), 3u);
  EXPECT_EQ(g.semantic[1].operation, "relate");
  EXPECT_EQ(g.semantic[1].argument, "_,hanging above,s (12)");
  EXPECT_EQ(g.semantic[1].dependencies, std::vector<int>{0});
  EXPECT_EQ(g.answer_objects, (std::vector<std::pair<std::string, std::string>>{{"0", "12"}}));
  EXPECT_EQ(g.full_answer_objects.size(), 2u);
  EXPECT_TRUE(g.question_objects.empty());

  auto q1 = ReadGqaQuestions("../shared/data/gqa/questions1.json");
  ASSERT_TRUE(q1.ok()) << q1.status();
  EXPECT_FALSE((*q1)[0].is_balanced);
  EXPECT_EQ((*q1)[0].semantic.size(), 5u);
  EXPECT_EQ((*q1)[0].semantic[4].dependencies, (std::vector<int>{2, 3}));
  EXPECT_EQ((*q1)[0].question_objects,
            (std::vector<std::pair<std::string, std::string>>{{"2", "11"}, {"5", "4"}}));
}

TEST(GqaQuestionsTest, TestSplitWithoutAnswersAndMalformedQuestions) {
  auto ok = ParseGqaQuestions(R"({"1": {"question": "Is it red?", "imageId": "n1"}})", "test.json");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)[0].answer, "");
  auto bad = ParseGqaQuestions(R"({"1": {"question": 5, "imageId": "n1"}, "2": {"imageId": "n2"}, "3": []})",
                               "q.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("q.json: questions[\"1\"].question: expected a string"));
  EXPECT_THAT(bad.status().message(), HasSubstr("questions[\"2\"].question: missing"));
  EXPECT_THAT(bad.status().message(), HasSubstr("questions[\"3\"]: expected an object"));
}

}  // namespace
}  // namespace mdetr::annotations

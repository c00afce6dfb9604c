#include "worker/trainer/clevr_question_groups.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

namespace mdetr::trainer {
namespace {

// The CLEVR question fields of each image entry, streamed (the annotation file may be large; only
// these values of the top-level "images" list are kept): the family fields, and the function of the
// last node of a "program" list (the released CLEVR question files name it "function", the
// question generator's own output "type").
class QuestionFieldReader : public nlohmann::json_sax<nlohmann::json> {
 public:
  struct Entry {
    int64_t id = 0;
    bool has_id = false;
    std::string file;    // template_filename
    int64_t index = -1;  // question_family_index
    bool has_program = false;
    std::string last_function;
  };
  std::vector<Entry> entries;
  std::string error;  // the first field of the wrong type

  bool null() override { return Scalar(nullptr, nullptr, nullptr); }
  bool boolean(bool) override { return Scalar(nullptr, nullptr, nullptr); }
  bool number_integer(number_integer_t v) override {
    const int64_t x = v;
    return Scalar(&x, nullptr, nullptr);
  }
  bool number_unsigned(number_unsigned_t v) override {
    const int64_t x = static_cast<int64_t>(v);
    return Scalar(&x, nullptr, nullptr);
  }
  bool number_float(number_float_t v, const string_t&) override {
    const double x = v;
    return Scalar(nullptr, &x, nullptr);
  }
  bool string(string_t& v) override { return Scalar(nullptr, nullptr, &v); }
  bool binary(binary_t&) override { return Scalar(nullptr, nullptr, nullptr); }
  bool start_object(std::size_t) override { return Open(false); }
  bool start_array(std::size_t) override { return Open(true); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }
  bool key(string_t& k) override {
    if (depth_ == 1) images_next_ = k == "images";
    if (depth_ == 3 || (in_program_ && depth_ == 5)) key_ = k;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    error = "not valid JSON at byte " + std::to_string(position) + ": " + e.what();
    return false;
  }

 private:
  // Depth 1: the file's object; 2: the images list; 3: one image entry; 4: its program list;
  // 5: one program node.
  bool Open(bool array) {
    if (depth_ == 3 && in_images_) {
      if (key_ == "program" && array) {
        in_program_ = true;
        entries.back().has_program = true;
      } else if (IsEntryField()) {
        Fail(key_ == "program" ? "expected a list of program nodes" : "expected a " + Expected());
      }
    }
    ++depth_;
    if (depth_ == 2) in_images_ = images_next_;
    if (depth_ == 3 && in_images_) entries.emplace_back();
    key_.clear();
    return true;
  }
  bool Close() {
    --depth_;
    if (depth_ == 1) in_images_ = false;
    if (depth_ == 3) in_program_ = false;
    key_.clear();
    return true;
  }
  bool IsEntryField() const {
    return key_ == "id" || key_ == "template_filename" || key_ == "question_family_index" ||
           key_ == "program";
  }
  std::string Expected() const { return key_ == "template_filename" ? "string" : "integer"; }
  void Fail(const std::string& what) {
    if (error.empty()) error = "images[" + std::to_string(entries.size() - 1) + "]." + key_ + ": " + what;
  }
  bool Scalar(const int64_t* integer, const double* real, const std::string* text) {
    if (in_program_ && depth_ == 5 && (key_ == "function" || key_ == "type")) {
      if (text) entries.back().last_function = *text;  // the nodes come in order: the last one stays
      key_.clear();
      return true;
    }
    if (depth_ != 3 || !in_images_ || !IsEntryField()) return true;
    Entry& e = entries.back();
    if (key_ == "program") {
      Fail("expected a list of program nodes");
    } else if (key_ == "template_filename") {
      if (text)
        e.file = *text;
      else if (integer || real)
        Fail("expected a string");
    } else if (integer) {
      (key_ == "id" ? e.id : e.index) = *integer;
      if (key_ == "id") e.has_id = true;
    } else if (text || real) {
      Fail("expected an integer");
    }
    key_.clear();
    return true;
  }

  int depth_ = 0;
  bool images_next_ = false;
  bool in_images_ = false;
  bool in_program_ = false;
  std::string key_;
};

}  // namespace

std::string ClevrQuestionGroups::TemplatesDirFor(const std::string& ann_file) {
  return (std::filesystem::path(ann_file).parent_path() / "CLEVR_1.0_templates").string();
}

Result<ClevrQuestionGroups> ClevrQuestionGroups::Read(const std::string& ann_file) {
  QuestionFieldReader reader;
  {
    std::ifstream in(ann_file, std::ios::binary);
    if (!in) return NotFoundError(ann_file + ": cannot open the annotation file");
    nlohmann::json::sax_parse(in, &reader);
  }
  if (!reader.error.empty()) return InvalidArgumentError(ann_file + ": " + reader.error);
  const auto& entries = reader.entries;
  const auto where = [&](size_t i) { return ann_file + ": images[" + std::to_string(i) + "]"; };
  // Either every question has the field or none: a mix would report part of the kinds by answer.
  auto all_or_none = [&](auto has, const std::string& field, size_t* count) -> Status {
    size_t first_without = entries.size();
    *count = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (has(entries[i]))
        ++*count;
      else if (first_without == entries.size())
        first_without = i;
    }
    if (*count > 0 && first_without < entries.size()) {
      return InvalidArgumentError(where(first_without) + ": no " + field + ", while " +
                                  std::to_string(*count) +
                                  " other questions have one: every question needs it, or none");
    }
    return Status::Ok();
  };
  size_t named = 0, programs = 0;
  MDETR_RETURN_IF_ERROR(all_or_none([](const auto& e) { return e.index >= 0 || !e.file.empty(); },
                                    "question_family_index", &named));
  ClevrQuestionGroups out;
  if (named == 0) {
    // No family: the kind from each question's program when the file keeps it.
    MDETR_RETURN_IF_ERROR(all_or_none([](const auto& e) { return e.has_program; }, "program", &programs));
    if (programs == 0) return out;
    for (size_t i = 0; i < entries.size(); ++i) {
      const auto& e = entries[i];
      if (!e.has_id) return InvalidArgumentError(where(i) + ".id: missing");
      const std::string kind = eval::ClevrKindOfNode(e.last_function);
      if (kind.empty()) {
        return InvalidArgumentError(where(i) + ".program: the last node's function \"" + e.last_function +
                                    "\" ends no CLEVR question kind");
      }
      const std::string label = "kind:" + kind;
      auto it = std::find_if(out.family_labels_.begin(), out.family_labels_.end(),
                             [&](const auto& l) { return l[0] == label; });
      if (it == out.family_labels_.end()) it = out.family_labels_.insert(it, {label});
      out.label_of_[e.id] = static_cast<uint16_t>(it - out.family_labels_.begin());
    }
    return out;
  }
  size_t first_named = 0;
  while (first_named < entries.size() && entries[first_named].index < 0 &&
         entries[first_named].file.empty()) {
    ++first_named;
  }
  const std::string dir = TemplatesDirFor(ann_file);
  auto templates = eval::ClevrTemplates::Load(dir);
  if (!templates.ok()) {
    return templates.status().WithContext(
        where(first_named) +
        " names a CLEVR question family, which is looked up in the CLEVR_1.0_templates folder "
        "beside the annotation file (the question generator's template files)");
  }
  const auto& families = templates->families();
  for (const auto& f : families) out.family_labels_.push_back({"kind:" + f.kind, "family:" + f.name()});
  out.has_families_ = true;
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    if (!e.has_id) return InvalidArgumentError(where(i) + ".id: missing");
    if (e.index < 0) {
      return InvalidArgumentError(where(i) + ".question_family_index: missing (template_filename \"" +
                                  e.file + "\" names the file, this index the template in it)");
    }
    size_t position = families.size();
    if (e.file.empty()) {
      if (e.index < static_cast<int64_t>(families.size())) position = static_cast<size_t>(e.index);
    } else if (const eval::ClevrFamily* f = templates->Find(e.file, static_cast<int>(e.index))) {
      position = static_cast<size_t>(f - families.data());
    }
    if (position == families.size()) {
      const std::string family = e.file.empty() ? "question_family_index " + std::to_string(e.index)
                                                : "template " + std::to_string(e.index) + " of " + e.file;
      return InvalidArgumentError(where(i) + ": " + family + " is not one of the " +
                                  std::to_string(families.size()) + " templates of " + dir);
    }
    out.label_of_[e.id] = static_cast<uint16_t>(position);
  }
  return out;
}

const std::vector<std::string>& ClevrQuestionGroups::Of(int64_t image_id, int answer_type) const {
  static const std::vector<std::vector<std::string>> kByAnswer = {
      {"kind:yes_no"}, {"kind:query_attribute"}, {"kind:count"}};
  static const std::vector<std::string> kNone;
  if (!label_of_.empty()) {
    auto it = label_of_.find(image_id);
    return it == label_of_.end() ? kNone : family_labels_[it->second];
  }
  return answer_type >= 0 && answer_type < 3 ? kByAnswer[static_cast<size_t>(answer_type)] : kNone;
}

}  // namespace mdetr::trainer

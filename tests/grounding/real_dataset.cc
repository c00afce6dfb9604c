#include "tests/grounding/real_dataset.h"

#include "tests/support/test_paths.h"

namespace mdetr::grounding::testdata {

Result<std::shared_ptr<GroundingDataset>> OpenRealImages(bool train) {
  auto tok = text::RobertaTokenizer::FromDirectory(testing::SharedDataDir() + "/tokenizer/roberta-base");
  if (!tok.ok()) return tok.status();
  DatasetOptions d;
  d.ann_file = testing::SourceDir() + "/tests/data/grounding/real_images.json";
  d.image_dir = testing::SharedDataDir();
  d.train = train;
  auto ds = GroundingDataset::Open(d, std::make_shared<const text::RobertaTokenizer>(std::move(tok).value()));
  if (!ds.ok()) return ds.status();
  return std::shared_ptr<GroundingDataset>(*ds);
}

}  // namespace mdetr::grounding::testdata

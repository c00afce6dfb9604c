// The grounding dataset over tests/data/grounding/real_images.json: the real images of
// ../shared/data with the boxes and captions the transform goldens use.
#pragma once

#include <memory>

#include "common/status.h"
#include "datasets/grounding/grounding_dataset.h"

namespace mdetr::grounding::testdata {

Result<std::shared_ptr<GroundingDataset>> OpenRealImages(bool train);

}  // namespace mdetr::grounding::testdata

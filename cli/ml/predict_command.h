// `mdetr predict`: phrase grounding with a checkpoint on one image, a folder of images, or the
// images of an MDETR/COCO-format annotation file.
#pragma once

#include <CLI/CLI.hpp>

namespace mdetr::cli {

void AddPredictCommand(CLI::App& app, int* exit_code);

}  // namespace mdetr::cli

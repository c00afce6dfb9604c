// Pre-trained RoBERTa weights as Hugging Face publishes them (model.safetensors or
// pytorch_model.bin, as RobertaModel or RobertaForMaskedLM), loaded into MDETR's text encoder
// unchanged: the reference starts every training run from these.
#pragma once

#include <string>

#include "common/status.h"
#include "model/nn/roberta.h"
#include "model/nn/state_dict.h"

namespace mdetr::model {

// `path` is a weights file or a Hugging Face model folder (model.safetensors preferred, else
// pytorch_model.bin). Keys may carry the "roberta." prefix of the masked-LM checkpoints; the LM
// head and the position_ids buffer are ignored. Every parameter of the encoder must be found with
// its shape, else an error names the file and the keys; on error the encoder is unchanged.
Result<LoadReport> LoadHfTextEncoderWeights(RobertaModel& encoder, const std::string& path);

}  // namespace mdetr::model

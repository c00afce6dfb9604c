// Whole-file reads for the small text formats (Flickr sentences and XML). Internal.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include "common/status.h"

namespace mdetr::annotations {

inline Result<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(path + ": cannot open file");
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return DataLossError(path + ": read error");
  return s.str();
}

}  // namespace mdetr::annotations

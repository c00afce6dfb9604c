// Where tests find the build outputs and the shared real data.
#pragma once

#include <string>

namespace mdetr::testing {

// The project's source root (tests run from there).
std::string SourceDir();
// The build folder (binaries such as mdetr, mdetr-ml).
std::string BuildDir();
// ../shared/data relative to the source root: small real images, annotations, vocabularies.
std::string SharedDataDir();
// A fresh, empty temporary directory, removed at exit of the test process.
std::string MakeTempDir(const std::string& prefix);

}  // namespace mdetr::testing

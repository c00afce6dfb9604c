#include "model/io/pickle_reader.h"

#include "model/io/unpickler.h"

namespace mdetr::io {

Result<PyValue> Unpickle(std::string_view bytes, const PickleSource& source) {
  pickle::Unpickler unpickler(bytes, source);
  return unpickler.Run();
}

}  // namespace mdetr::io

#include "model/io/safetensors.h"

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/io/atomic_file.h"
#include "model/io/little_endian.h"

namespace mdetr::io {
namespace {

using Json = nlohmann::ordered_json;

// The reference implementation's cap; a larger header means a corrupt length field.
constexpr uint64_t kMaxHeaderSize = 100'000'000;
constexpr char kMetadataKey[] = "__metadata__";

struct Range {
  uint64_t begin;
  uint64_t end;
  std::string name;
};

}  // namespace

Result<SafetensorsFile> ReadSafetensors(const std::string& path) {
  MDETR_ASSIGN_OR_RETURN(std::shared_ptr<const MappedFile> file, MappedFile::Open(path));
  auto bad = [&path](const std::string& what) {
    return DataLossError(path + ": bad safetensors file: " + what);
  };
  const uint64_t size = file->size();
  if (size < 8)
    return bad("file is " + std::to_string(size) + " bytes, shorter than the 8-byte header length");
  const uint64_t header_size = LoadLE64(file->data());
  if (header_size > kMaxHeaderSize)
    return bad("header length " + std::to_string(header_size) + " is implausible");
  if (header_size > size - 8) {
    return bad("header length " + std::to_string(header_size) + " runs past the end of the " +
               std::to_string(size) + "-byte file (truncated?)");
  }
  const char* header_begin = reinterpret_cast<const char*>(file->data()) + 8;
  Json header = Json::parse(header_begin, header_begin + header_size, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) return bad("header is not valid JSON");
  if (!header.is_object()) return bad("header is not a JSON object");

  SafetensorsFile out;
  out.file = file;
  const uint64_t data_start = 8 + header_size;
  const uint64_t data_size = size - data_start;
  const uint8_t* data = file->data() + data_start;
  std::vector<Range> ranges;
  for (const auto& [name, info] : header.items()) {
    if (name == kMetadataKey) {
      if (!info.is_object()) return bad("__metadata__ is not an object");
      for (const auto& [key, value] : info.items()) {
        if (!value.is_string()) return bad("__metadata__['" + key + "'] is not a string");
        out.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + name + "'";
    if (!info.is_object()) return bad(where + " is not an object");
    auto dtype_it = info.find("dtype");
    auto shape_it = info.find("shape");
    auto offsets_it = info.find("data_offsets");
    if (dtype_it == info.end() || !dtype_it->is_string()) return bad(where + ": missing string 'dtype'");
    if (shape_it == info.end() || !shape_it->is_array()) return bad(where + ": missing array 'shape'");
    if (offsets_it == info.end() || !offsets_it->is_array() || offsets_it->size() != 2 ||
        !(*offsets_it)[0].is_number_unsigned() || !(*offsets_it)[1].is_number_unsigned()) {
      return bad(where + ": 'data_offsets' must be two non-negative integers");
    }
    std::optional<DType> dtype = DTypeFromSafetensors(dtype_it->get<std::string>());
    if (!dtype) return bad(where + ": unsupported dtype '" + dtype_it->get<std::string>() + "'");
    std::vector<int64_t> shape;
    uint64_t numel = 1;
    for (const auto& dim : *shape_it) {
      if (!dim.is_number_unsigned()) return bad(where + ": shape entries must be non-negative integers");
      uint64_t d = dim.get<uint64_t>();
      if (d > (uint64_t{1} << 62) || __builtin_mul_overflow(numel, d, &numel) ||
          numel > (uint64_t{1} << 62)) {
        return bad(where + ": shape overflows");
      }
      shape.push_back(static_cast<int64_t>(d));
    }
    uint64_t begin = (*offsets_it)[0].get<uint64_t>(), end = (*offsets_it)[1].get<uint64_t>();
    if (begin > end || end > data_size) {
      return bad(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                 "] outside the " + std::to_string(data_size) + "-byte data section");
    }
    uint64_t nbytes;
    if (__builtin_mul_overflow(numel, DTypeSize(*dtype), &nbytes) || nbytes != end - begin) {
      return bad(where + ": " + std::to_string(end - begin) + " bytes do not match its shape and dtype " +
                 dtype_it->get<std::string>());
    }
    MDETR_RETURN_IF_ERROR(
        out.tensors.Add(name, TensorView::Contiguous(*dtype, std::move(shape), data + begin, file))
            .WithContext(path));
    ranges.push_back({begin, end, name});
  }
  // The byte ranges must tile the data section exactly: no overlap, no hole, nothing after.
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t expected = 0;
  for (const Range& r : ranges) {
    if (r.begin != expected) {
      return bad("tensor '" + r.name + "' starts at byte " + std::to_string(r.begin) +
                 " of the data section, " +
                 (r.begin < expected ? "overlapping the previous tensor" : "leaving a gap") + " (expected " +
                 std::to_string(expected) + ")");
    }
    expected = r.end;
  }
  if (expected != data_size) {
    return bad("tensors cover " + std::to_string(expected) + " bytes but the data section has " +
               std::to_string(data_size));
  }
  return out;
}

Status WriteSafetensors(const std::string& path, const StateDict& tensors,
                        const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) {
    Json meta = Json::object();
    for (const auto& [key, value] : metadata) meta[key] = value;
    header[kMetadataKey] = std::move(meta);
  }
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name.empty() || name == kMetadataKey) {
      return InvalidArgumentError(path + ": invalid tensor name '" + name + "'");
    }
    MDETR_RETURN_IF_ERROR(tensor.Validate(path + ": tensor '" + name + "'"));
    Json info = Json::object();
    info["dtype"] = SafetensorsName(tensor.dtype);
    info["shape"] = tensor.shape;
    info["data_offsets"] = {offset, offset + tensor.nbytes()};
    header[name] = std::move(info);
    offset += tensor.nbytes();
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const Json::exception& e) {
    return InvalidArgumentError(path +
                                ": cannot encode the header (tensor names must be UTF-8): " + e.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data section 8-byte aligned
  std::string length;
  AppendLE(&length, text.size(), 8);

  MDETR_ASSIGN_OR_RETURN(AtomicFileWriter out, AtomicFileWriter::Create(path));
  MDETR_RETURN_IF_ERROR(out.Write(length));
  MDETR_RETURN_IF_ERROR(out.Write(text));
  for (const auto& [name, tensor] : tensors) {
    if (tensor.is_contiguous()) {
      MDETR_RETURN_IF_ERROR(out.Write(tensor.data(), tensor.nbytes()));
    } else {
      std::vector<uint8_t> bytes = tensor.ContiguousBytes();
      MDETR_RETURN_IF_ERROR(out.Write(bytes.data(), bytes.size()));
    }
  }
  return out.Commit();
}

}  // namespace mdetr::io

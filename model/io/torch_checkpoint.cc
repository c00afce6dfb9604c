#include "model/io/torch_checkpoint.h"

#include <cstring>

#include "model/io/pickle_reader.h"
#include "model/io/zip_reader.h"

namespace mdetr::io {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Classifies a file that is not a zip, to say what it is instead of "bad zip".
Status NotZipError(const MappedFile& file) {
  std::string_view bytes = file.bytes();
  if (!bytes.empty() && static_cast<uint8_t>(bytes[0]) == 0x80) {
    return UnimplementedError(file.path() +
                              ": legacy torch.save format (a bare pickle, PyTorch < 1.6 or "
                              "_use_new_zipfile_serialization=False) is not supported; re-save it with "
                              "torch.save in PyTorch >= 1.6");
  }
  if (bytes.size() >= 262 && bytes.substr(257, 5) == "ustar") {
    return UnimplementedError(file.path() + ": legacy tar-based torch.save format is not supported");
  }
  if (bytes.empty()) return DataLossError(file.path() + ": empty file, not a torch checkpoint");
  return DataLossError(file.path() + ": not a torch checkpoint (no zip signature at the start)");
}

}  // namespace

Result<TorchCheckpoint> LoadTorchCheckpoint(const std::string& path, const TorchLoadOptions& options) {
  MDETR_ASSIGN_OR_RETURN(std::shared_ptr<const MappedFile> file, MappedFile::Open(path));
  if (!StartsWith(file->bytes(), std::string_view("PK\x03\x04", 4))) return NotZipError(*file);
  MDETR_ASSIGN_OR_RETURN(ZipArchive zip, ZipArchive::Open(file));

  // torch names the top folder after the file (or "archive"); find it from the pickle's record.
  TorchCheckpoint checkpoint;
  checkpoint.file = file;
  const ZipEntry* pickle = nullptr;
  for (const ZipEntry& entry : zip.entries()) {
    size_t slash = entry.name.find('/');
    if (slash != std::string::npos && entry.name.compare(slash, std::string::npos, "/data.pkl") == 0) {
      pickle = &entry;
      checkpoint.archive_name = entry.name.substr(0, slash);
      break;
    }
  }
  if (pickle == nullptr) return DataLossError(path + ": zip archive has no <archive>/data.pkl record");
  const std::string prefix = checkpoint.archive_name + "/";

  const ZipEntry* version = zip.Find(prefix + "version");
  if (version == nullptr) version = zip.Find(prefix + ".data/version");
  if (version == nullptr) return DataLossError(path + ": no " + prefix + "version record");
  MDETR_ASSIGN_OR_RETURN(std::string_view version_text, zip.Read(*version));
  std::string digits(version_text.substr(0, version_text.find('\n')));
  if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) {
    return DataLossError(path + ": " + version->name + " is not a number");
  }
  checkpoint.format_version = std::stoll(digits);

  if (const ZipEntry* byteorder = zip.Find(prefix + "byteorder")) {
    MDETR_ASSIGN_OR_RETURN(std::string_view order, zip.Read(*byteorder));
    if (order != "little") {
      return UnimplementedError(path + ": byteorder record says '" + std::string(order.substr(0, 16)) +
                                "'; only little-endian checkpoints are supported");
    }
  }
  if (options.verify_crc32) {
    for (const ZipEntry& entry : zip.entries()) MDETR_RETURN_IF_ERROR(zip.VerifyCrc(entry));
  }

  MDETR_ASSIGN_OR_RETURN(std::string_view pickle_bytes, zip.Read(*pickle));
  PickleSource source;
  source.name = path + ":" + pickle->name;
  source.owner = file;
  source.load_storage = [&zip, &path, &prefix, &file](const std::string& key, DType dtype,
                                                      int64_t numel) -> Result<TensorView> {
    const std::string name = prefix + "data/" + key;
    const ZipEntry* entry = zip.Find(name);
    if (entry == nullptr) return DataLossError(path + ": storage record " + name + " is missing");
    MDETR_ASSIGN_OR_RETURN(std::string_view bytes, zip.Read(*entry));
    uint64_t needed;
    if (__builtin_mul_overflow(static_cast<uint64_t>(numel), DTypeSize(dtype), &needed) ||
        needed > bytes.size()) {
      return DataLossError(path + ": storage " + name + " should hold " + std::to_string(numel) + " " +
                           DTypeName(dtype) + " elements but has " + std::to_string(bytes.size()) + " bytes");
    }
    TensorView storage;
    storage.dtype = dtype;
    storage.shape = {numel};
    storage.strides = {1};
    storage.storage = reinterpret_cast<const uint8_t*>(bytes.data());
    storage.storage_nbytes = needed;
    storage.owner = file;
    return storage;
  };
  MDETR_ASSIGN_OR_RETURN(checkpoint.root, Unpickle(pickle_bytes, source));
  return checkpoint;
}

Result<StateDict> StateDictFromDict(const PyValue& dict) {
  if (!dict.is_dict()) {
    return InvalidArgumentError((dict.path().empty() ? std::string("checkpoint") : dict.path()) +
                                ": expected a dict of tensors, got " + PyKindName(dict.kind()));
  }
  StateDict out;
  for (const auto& [key, value] : dict.items()) {
    MDETR_ASSIGN_OR_RETURN(std::string name, key.ToString());
    MDETR_ASSIGN_OR_RETURN(TensorView tensor, value.ToTensor());
    MDETR_RETURN_IF_ERROR(out.Add(std::move(name), std::move(tensor)));
  }
  return out;
}

Result<StateDict> SelectStateDict(const PyValue& root, std::string* chosen) {
  if (!root.is_dict()) {
    return InvalidArgumentError("checkpoint root is a " + std::string(PyKindName(root.kind())) +
                                ", not a dict");
  }
  std::string key;
  PyValue ema = root["model_ema"];
  if (!ema.is_missing() && !ema.is_none()) {
    key = "model_ema";
  } else if (root.contains("model")) {
    key = "model";
  }
  if (chosen != nullptr) *chosen = key;
  return StateDictFromDict(key.empty() ? root : root[key]);
}

}  // namespace mdetr::io

#include "model/io/torch_writer.h"

#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "model/io/atomic_file.h"
#include "model/io/little_endian.h"
#include "model/io/zip_writer.h"

namespace mdetr::io {
namespace {

// Emits pickle protocol 2 opcodes, the subset needed for a dict of tensors.
class PickleWriter {
 public:
  void Proto() { out_ += "\x80\x02"; }
  void Stop() { out_ += '.'; }
  void Mark() { out_ += '('; }
  void Tuple() { out_ += 't'; }
  void EmptyTuple() { out_ += ')'; }
  void EmptyDict() { out_ += '}'; }
  void Reduce() { out_ += 'R'; }
  void SetItem() { out_ += 's'; }
  void SetItems() { out_ += 'u'; }
  void BinPersId() { out_ += 'Q'; }
  void NewFalse() { out_ += '\x89'; }
  void Global(const std::string& module, const std::string& name) {
    out_ += "c" + module + "\n" + name + "\n";
  }
  // A global used many times is stored once in the memo and fetched by index afterwards.
  void MemoGlobal(const std::string& module, const std::string& name) {
    std::string key = module + "." + name;
    auto it = memo_.find(key);
    if (it != memo_.end()) {
      out_ += 'j';  // LONG_BINGET
      AppendLE(&out_, it->second, 4);
      return;
    }
    Global(module, name);
    uint32_t index = static_cast<uint32_t>(memo_.size());
    memo_[key] = index;
    out_ += 'r';  // LONG_BINPUT
    AppendLE(&out_, index, 4);
  }
  void Str(const std::string& s) {
    out_ += 'X';
    AppendLE(&out_, s.size(), 4);
    out_ += s;
  }
  void Int(int64_t v) {
    if (v >= 0 && v < 256) {
      out_ += 'K';
      AppendLE(&out_, static_cast<uint64_t>(v), 1);
    } else if (v >= 0 && v < 65536) {
      out_ += 'M';
      AppendLE(&out_, static_cast<uint64_t>(v), 2);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      out_ += 'J';
      AppendLE(&out_, static_cast<uint64_t>(v), 4);
    } else {
      out_ += '\x8a';  // LONG1, 8-byte two's complement
      out_ += '\x08';
      AppendLE(&out_, static_cast<uint64_t>(v), 8);
    }
  }
  void IntTuple(const std::vector<int64_t>& values) {
    Mark();
    for (int64_t v : values) Int(v);
    Tuple();
  }
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
  std::map<std::string, uint32_t> memo_;
};

struct StorageRecord {
  const uint8_t* data;
  size_t nbytes;
  DType dtype;
};

std::string DefaultArchiveName(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = base.rfind('.');
  if (dot != std::string::npos && dot > 0) base.resize(dot);
  return base.empty() ? "archive" : base;
}

}  // namespace

Status SaveTorchStateDict(const std::string& path, const StateDict& tensors,
                          const TorchSaveOptions& options) {
  const std::string archive = options.archive_name.empty() ? DefaultArchiveName(path) : options.archive_name;
  if (archive.find('/') != std::string::npos) {
    return InvalidArgumentError(path + ": archive name '" + archive + "' must not contain '/'");
  }

  // One storage record per distinct (storage, dtype): views keep sharing their storage.
  std::map<std::tuple<const uint8_t*, size_t, DType>, size_t> storage_keys;
  std::vector<StorageRecord> storages;
  PickleWriter pickle;
  pickle.Proto();
  if (!options.top_level_key.empty()) {
    pickle.EmptyDict();
    pickle.Str(options.top_level_key);
  }
  pickle.MemoGlobal("collections", "OrderedDict");
  pickle.EmptyTuple();
  pickle.Reduce();
  pickle.Mark();
  for (const auto& [name, tensor] : tensors) {
    MDETR_RETURN_IF_ERROR(tensor.Validate(path + ": tensor '" + name + "'"));
    size_t elem = tensor.element_size();
    size_t storage_elems = tensor.storage_nbytes / elem;
    auto [it, inserted] =
        storage_keys.emplace(std::make_tuple(tensor.storage, storage_elems, tensor.dtype), storages.size());
    if (inserted) storages.push_back({tensor.storage, storage_elems * elem, tensor.dtype});

    pickle.Str(name);
    pickle.MemoGlobal("torch._utils", "_rebuild_tensor_v2");
    pickle.Mark();
    {
      pickle.Mark();  // persistent id: ('storage', torch.XStorage, key, 'cpu', numel)
      pickle.Str("storage");
      pickle.MemoGlobal("torch", TorchStorageName(tensor.dtype));
      pickle.Str(std::to_string(it->second));
      pickle.Str("cpu");
      pickle.Int(static_cast<int64_t>(storage_elems));
      pickle.Tuple();
      pickle.BinPersId();
    }
    pickle.Int(tensor.storage_offset);
    pickle.IntTuple(tensor.shape);
    pickle.IntTuple(tensor.strides);
    pickle.NewFalse();                                // requires_grad
    pickle.MemoGlobal("collections", "OrderedDict");  // backward hooks: OrderedDict()
    pickle.EmptyTuple();
    pickle.Reduce();
    pickle.Tuple();
    pickle.Reduce();
  }
  pickle.SetItems();
  if (!options.top_level_key.empty()) pickle.SetItem();
  pickle.Stop();

  MDETR_ASSIGN_OR_RETURN(AtomicFileWriter out, AtomicFileWriter::Create(path));
  ZipWriter zip(&out, options.force_zip64);
  const std::string prefix = archive + "/";
  MDETR_RETURN_IF_ERROR(zip.AddRecord(prefix + "data.pkl", pickle.bytes().data(), pickle.bytes().size()));
  MDETR_RETURN_IF_ERROR(zip.AddRecord(prefix + "byteorder", "little", 6));
  for (size_t i = 0; i < storages.size(); ++i) {
    MDETR_RETURN_IF_ERROR(
        zip.AddRecord(prefix + "data/" + std::to_string(i), storages[i].data, storages[i].nbytes));
  }
  MDETR_RETURN_IF_ERROR(zip.AddRecord(prefix + "version", "3\n", 2));
  MDETR_RETURN_IF_ERROR(zip.Finish());
  return out.Commit();
}

}  // namespace mdetr::io

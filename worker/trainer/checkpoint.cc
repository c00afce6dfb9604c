#include "worker/trainer/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "model/io/atomic_file.h"
#include "model/io/crc32.h"

namespace mdetr::trainer {
namespace fs = std::filesystem;

namespace {

std::string ReadAll(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  *ok = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json RecordToJson(const CheckpointRecord& r) {
  return {{"file", fs::path(r.path).filename().string()},
          {"step", r.at.step},
          {"epoch", r.at.epoch},
          {"position", r.at.position},
          {"crc32", r.crc32},
          {"bytes", r.bytes},
          {"metrics", r.metrics}};
}

}  // namespace

Result<CheckpointRecord> SaveCheckpoint(const std::string& dir, const TrainingState& state) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return UnavailableError("cannot create checkpoint folder " + dir + ": " + ec.message());

  torch::serialize::OutputArchive archive;
  for (const auto& [k, v] : state.model) archive.write("model/" + k, v, /*is_buffer=*/true);
  for (const auto& [k, v] : state.ema) archive.write("ema/" + k, v, true);
  archive.write("rng", state.rng_state, true);
  archive.write("meta", c10::IValue(nlohmann::json{{"step", state.at.step},
                                                   {"epoch", state.at.epoch},
                                                   {"position", state.at.position},
                                                   {"metrics", state.metrics},
                                                   {"config", state.config_yaml}}
                                        .dump()));
  archive.write("optimizer", c10::IValue(state.optimizer));
  std::ostringstream bytes;
  archive.save_to(bytes);
  const std::string data = bytes.str();

  CheckpointRecord rec;
  char name[64];
  std::snprintf(name, sizeof(name), "checkpoint-%08lld.pt", static_cast<long long>(state.at.step));
  rec.path = (fs::path(dir) / name).string();
  rec.at = state.at;
  rec.crc32 = io::Crc32(0, data.data(), data.size());
  rec.bytes = data.size();
  rec.metrics = state.metrics;

  auto writer = io::AtomicFileWriter::Create(rec.path);
  if (!writer.ok()) return writer.status();
  MDETR_RETURN_IF_ERROR(writer->Write(data));
  MDETR_RETURN_IF_ERROR(writer->Commit());
  // The sidecar is written last: a checkpoint without one was never completed.
  auto side = io::AtomicFileWriter::Create(rec.path + ".json");
  if (!side.ok()) return side.status();
  MDETR_RETURN_IF_ERROR(side->Write(RecordToJson(rec).dump(2)));
  MDETR_RETURN_IF_ERROR(side->Commit());
  return rec;
}

std::vector<CheckpointRecord> ListCheckpoints(const std::string& dir) {
  std::vector<CheckpointRecord> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string p = e.path().string();
    if (p.size() < 8 || p.compare(p.size() - 8, 8, ".pt.json") != 0) continue;
    bool ok = false;
    const std::string text = ReadAll(p, &ok);
    if (!ok) continue;
    try {
      const auto j = nlohmann::json::parse(text);
      CheckpointRecord r;
      r.path = (fs::path(dir) / j.at("file").get<std::string>()).string();
      r.at = {j.at("step").get<int64_t>(), j.at("epoch").get<int64_t>(), j.at("position").get<int64_t>()};
      r.crc32 = j.at("crc32").get<uint32_t>();
      r.bytes = j.at("bytes").get<uint64_t>();
      if (j.contains("metrics")) r.metrics = j.at("metrics").get<std::map<std::string, double>>();
      out.push_back(std::move(r));
    } catch (const std::exception&) {
      continue;  // a damaged sidecar: that checkpoint does not count
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.at.step < b.at.step; });
  return out;
}

Result<TrainingState> LoadCheckpoint(const CheckpointRecord& rec) {
  bool ok = false;
  const std::string data = ReadAll(rec.path, &ok);
  if (!ok) return NotFoundError(rec.path + ": cannot read checkpoint");
  if (data.size() != rec.bytes || io::Crc32(0, data.data(), data.size()) != rec.crc32) {
    return DataLossError(rec.path + ": checksum mismatch (" + std::to_string(data.size()) + " bytes, expected " +
                         std::to_string(rec.bytes) + "): the file is truncated or corrupted");
  }
  TrainingState s;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(data.data(), data.size());
    for (const auto& key : archive.keys()) {
      if (key.rfind("model/", 0) == 0) {
        torch::Tensor t;
        archive.read(key, t, true);
        s.model[key.substr(6)] = t;
      } else if (key.rfind("ema/", 0) == 0) {
        torch::Tensor t;
        archive.read(key, t, true);
        s.ema[key.substr(4)] = t;
      }
    }
    archive.read("rng", s.rng_state, true);
    c10::IValue meta, optimizer;
    archive.read("meta", meta);
    archive.read("optimizer", optimizer);
    s.optimizer = optimizer.toStringRef();
    const auto j = nlohmann::json::parse(meta.toStringRef());
    s.at = {j.at("step").get<int64_t>(), j.at("epoch").get<int64_t>(), j.at("position").get<int64_t>()};
    s.metrics = j.at("metrics").get<std::map<std::string, double>>();
    s.config_yaml = j.at("config").get<std::string>();
  } catch (const std::exception& e) {
    return DataLossError(rec.path + ": cannot decode checkpoint: " + e.what());
  }
  return s;
}

Result<TrainingState> LoadLatestCheckpoint(const std::string& dir, std::vector<std::string>* warnings,
                                           CheckpointRecord* chosen) {
  auto all = ListCheckpoints(dir);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    auto s = LoadCheckpoint(*it);
    if (s.ok()) {
      if (chosen) *chosen = *it;
      return s;
    }
    if (warnings) warnings->push_back(s.status().message() + "; falling back to the previous checkpoint");
  }
  return NotFoundError("no usable checkpoint in " + dir);
}

namespace {
// The record of checkpoint file `path` in its folder's listing, if it is one of ours.
std::optional<CheckpointRecord> RecordOf(const std::string& path) {
  std::error_code ec;
  for (auto& rec : ListCheckpoints(std::filesystem::path(path).parent_path().string())) {
    if (std::filesystem::equivalent(rec.path, path, ec)) return rec;
  }
  return std::nullopt;
}
}  // namespace

bool IsRunCheckpoint(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return true;
  return std::filesystem::is_regular_file(path, ec) && RecordOf(path).has_value();
}

Result<TrainingState> LoadRunCheckpoint(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return LoadLatestCheckpoint(path, nullptr);
  if (!std::filesystem::is_regular_file(path, ec)) return NotFoundError(path + ": no such checkpoint file or folder");
  auto rec = RecordOf(path);
  if (!rec) return NotFoundError(path + ": no .json record beside it (not a checkpoint of mdetr train)");
  return LoadCheckpoint(*rec);
}

void PruneCheckpoints(const std::string& dir, int keep_last, const std::string& keep_also) {
  auto all = ListCheckpoints(dir);
  if (static_cast<int>(all.size()) <= keep_last) return;
  for (size_t i = 0; i + static_cast<size_t>(keep_last) < all.size(); ++i) {
    if (!keep_also.empty() && all[i].path == keep_also) continue;
    std::error_code ec;
    fs::remove(all[i].path + ".json", ec);  // sidecar first: a half-deleted checkpoint is ignored
    fs::remove(all[i].path, ec);
  }
}

}  // namespace mdetr::trainer

#include "worker/trainer/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

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

// The optimizer's state as a nested archive (older checkpoints: serialised bytes under "optimizer").
constexpr char kOptimizerArchiveKey[] = "optimizer_state";

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
  // "rng" (rank 0's row) is what readers of the one-rank layout look for.
  if (state.rank_rng_states.defined()) {
    archive.write("rng", state.rank_rng_states[0].clone(), true);
    archive.write("rng_ranks", state.rank_rng_states, true);
  }
  if (state.rank_cuda_rng_states.defined()) archive.write("rng_cuda_ranks", state.rank_cuda_rng_states, true);
  archive.write("meta", c10::IValue(nlohmann::json{{"step", state.at.step},
                                                   {"epoch", state.at.epoch},
                                                   {"position", state.at.position},
                                                   {"metrics", state.metrics},
                                                   {"config", state.config_yaml}}
                                        .dump()));
  torch::serialize::OutputArchive optimizer_archive;
  if (state.write_optimizer) {
    state.write_optimizer(optimizer_archive);
    archive.write(kOptimizerArchiveKey, optimizer_archive);
  } else {
    archive.write("optimizer", c10::IValue(state.optimizer));
  }

  CheckpointRecord rec;
  char name[64];
  std::snprintf(name, sizeof(name), "checkpoint-%08lld.pt", static_cast<long long>(state.at.step));
  rec.path = (fs::path(dir) / name).string();
  rec.at = state.at;
  rec.metrics = state.metrics;

  auto writer = io::AtomicFileWriter::Create(rec.path);
  if (!writer.ok()) return writer.status();
  // Straight to the file: a full-size model's checkpoint is 2.2 GB, and an in-memory copy of it
  // (and the copy of that copy a string stream hands out) would each add that much to the peak.
  Status written = Status::Ok();
  uint32_t crc = 0;
  try {
    // After a failed write (a full disk) the rest is dropped but reported as written: a short
    // count makes LibTorch's zip writer throw, and its destructor throws again while that
    // exception unwinds, which ends the process. The failure is returned below instead.
    archive.save_to([&](const void* data, size_t size) -> size_t {
      if (!written.ok()) return size;
      crc = io::Crc32(crc, data, size);
      written = writer->Write(data, size);
      return size;
    });
  } catch (const std::exception& e) {
    if (written.ok()) return InternalError(rec.path + ": cannot serialise the checkpoint: " + e.what());
  }
  MDETR_RETURN_IF_ERROR(written);
  rec.crc32 = crc;
  rec.bytes = writer->offset();
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
  // The CRC from the file in pieces, and the archive read from the file: holding the whole file in
  // memory (2.2 GB for a full-size model) on top of what it decodes to is what a resume cannot afford.
  uint64_t size = 0;
  uint32_t crc = 0;
  {
    std::ifstream in(rec.path, std::ios::binary);
    if (!in) return NotFoundError(rec.path + ": cannot read checkpoint");
    std::vector<char> chunk(size_t{4} << 20);
    while (in) {
      in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      const auto got = static_cast<size_t>(in.gcount());
      crc = io::Crc32(crc, chunk.data(), got);
      size += got;
    }
    if (in.bad()) return NotFoundError(rec.path + ": cannot read checkpoint");
  }
  if (size != rec.bytes || crc != rec.crc32) {
    return DataLossError(rec.path + ": checksum mismatch (" + std::to_string(size) + " bytes, expected " +
                         std::to_string(rec.bytes) + "): the file is truncated or corrupted");
  }
  TrainingState s;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(rec.path);
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
    if (torch::Tensor t; archive.try_read("rng_ranks", t, true)) {
      s.rank_rng_states = t;
    } else if (archive.try_read("rng", t, true)) {
      s.rank_rng_states = t.unsqueeze(0);
    }
    if (torch::Tensor t; archive.try_read("rng_cuda_ranks", t, true)) s.rank_cuda_rng_states = t;
    c10::IValue meta, optimizer;
    archive.read("meta", meta);
    auto nested = std::make_shared<torch::serialize::InputArchive>();
    if (archive.try_read(kOptimizerArchiveKey, *nested)) {
      s.optimizer_archive = std::move(nested);
    } else {
      archive.read("optimizer", optimizer);
      s.optimizer = optimizer.toStringRef();
    }
    const auto j = nlohmann::json::parse(meta.toStringRef());
    s.at = {j.at("step").get<int64_t>(), j.at("epoch").get<int64_t>(), j.at("position").get<int64_t>()};
    s.metrics = j.at("metrics").get<std::map<std::string, double>>();
    s.config_yaml = j.at("config").get<std::string>();
  } catch (const std::exception& e) {
    return DataLossError(rec.path + ": cannot decode checkpoint: " + e.what());
  }
  return s;
}

Status LoadOptimizerState(const TrainingState& state, torch::optim::Optimizer& optimizer) {
  try {
    if (state.optimizer_archive) {
      optimizer.load(*state.optimizer_archive);
    } else {
      torch::serialize::InputArchive archive;
      archive.load_from(state.optimizer.data(), state.optimizer.size());
      optimizer.load(archive);
    }
  } catch (const std::exception& e) {
    return DataLossError(std::string("cannot restore the optimizer state: ") + e.what());
  }
  return Status::Ok();
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

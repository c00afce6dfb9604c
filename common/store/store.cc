#include "common/store/store.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <filesystem>
#include <iterator>
#include <mutex>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "common/store/value_format.h"

namespace mdetr::store {
namespace {

constexpr std::array<const char*, kFamilyCount> kFamilyNames = {
    "jobs", "tasks", "attempts", "workers", "checkpoints", "metrics", "events"};

Status FromRocks(const rocksdb::Status& status, const std::string& context) {
  if (status.ok()) return Status::Ok();
  const std::string message = context + ": " + status.ToString();
  if (status.IsNotFound()) return NotFoundError(message);
  if (status.IsCorruption()) return DataLossError(message);
  if (status.IsInvalidArgument()) return InvalidArgumentError(message);
  if (status.IsNoSpace()) return ResourceExhaustedError(message);
  if (status.IsBusy() || status.IsTryAgain() || status.IsTimedOut()) return UnavailableError(message);
  // A held LOCK file is an IOError whose text names the lock; it means "someone else has it open".
  if (status.IsIOError()) {
    if (status.ToString().find("lock") != std::string::npos) {
      return UnavailableError(message + " (is another coordinator using this store?)");
    }
    return UnavailableError(message);
  }
  if (status.IsShutdownInProgress() || status.IsAborted()) return AbortedError(message);
  return InternalError(message);
}

}  // namespace

const char* FamilyName(Family family) { return kFamilyNames[static_cast<size_t>(family)]; }

void Batch::Put(Family family, std::string_view key, std::string_view value) {
  ops_.push_back(Op{family, false, std::string(key), FrameValue(value)});
  bytes_ += key.size() + value.size() + kValueHeaderBytes;
}

void Batch::Append(Batch&& other) {
  ops_.insert(ops_.end(), std::make_move_iterator(other.ops_.begin()), std::make_move_iterator(other.ops_.end()));
  bytes_ += other.bytes_;
  other.ops_.clear();
  other.bytes_ = 0;
}

void Batch::Delete(Family family, std::string_view key) {
  ops_.push_back(Op{family, true, std::string(key), ""});
  bytes_ += key.size();
}

class Store::Impl {
 public:
  ~Impl() {
    if (!db_) return;
    for (rocksdb::ColumnFamilyHandle* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
    db_->Close();
  }

  Status Open(const std::string& path, StoreOptions options);
  Status Commit(const Batch& batch);
  Status WriteSynced(const Batch& batch);
  Status Append(const Batch& batch, rocksdb::WriteBatch* out) const;
  rocksdb::ColumnFamilyHandle* Handle(Family family) const { return families_[static_cast<size_t>(family)]; }
  std::string Where(Family family, std::string_view key) const {
    return path_ + ": " + FamilyName(family) + "/" + std::string(key);
  }

  std::string path_;
  StoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // every family on disk, ours and unknown ones
  std::array<rocksdb::ColumnFamilyHandle*, kFamilyCount> families_{};
  std::atomic<uint64_t> synced_commits_{0};

 private:
  std::mutex serial_mu_;  // serialises synced writes when group commit is off
};

Status Store::Impl::Open(const std::string& path, StoreOptions options) {
  path_ = path;
  options_ = options;
  if (options.create_if_missing) {
    // RocksDB creates the last folder only; a coordinator's --state-dir may be a fresh path.
    std::error_code error;
    std::filesystem::create_directories(path, error);
    if (error) return UnavailableError("cannot create store folder " + path + ": " + error.message());
  }
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = true;
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db_options.max_background_jobs = 2;
  db_options.max_write_batch_group_size_bytes = options.max_group_bytes;
  if (options.env != nullptr) db_options.env = options.env;

  // Open every family already on disk (a newer build may have added some), plus ours.
  std::vector<std::string> names;
  rocksdb::Status listed = rocksdb::DB::ListColumnFamilies(db_options, path, &names);
  if (!listed.ok()) names.clear();  // a new store: only our families
  if (std::find(names.begin(), names.end(), rocksdb::kDefaultColumnFamilyName) == names.end()) {
    names.push_back(rocksdb::kDefaultColumnFamilyName);
  }
  for (const char* name : kFamilyNames) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());

  rocksdb::DB* db = nullptr;
  rocksdb::Status opened = rocksdb::DB::Open(db_options, path, descriptors, &handles_, &db);
  if (!opened.ok()) {
    if (!options.create_if_missing && opened.IsInvalidArgument() &&
        opened.ToString().find("does not exist") != std::string::npos) {
      return FailedPreconditionError("store " + path + " does not exist");
    }
    return FromRocks(opened, "cannot open store " + path);
  }
  db_.reset(db);
  for (size_t i = 0; i < names.size(); ++i) {
    for (size_t f = 0; f < kFamilyNames.size(); ++f) {
      if (names[i] == kFamilyNames[f]) families_[f] = handles_[i];
    }
  }
  return Status::Ok();
}

Status Store::Impl::Append(const Batch& batch, rocksdb::WriteBatch* out) const {
  for (const Batch::Op& op : batch.ops_) {
    rocksdb::Status added =
        op.is_delete ? out->Delete(Handle(op.family), op.key) : out->Put(Handle(op.family), op.key, op.value);
    if (!added.ok()) return FromRocks(added, Where(op.family, op.key));
  }
  return Status::Ok();
}

Status Store::Impl::WriteSynced(const Batch& batch) {
  rocksdb::WriteBatch write_batch;
  MDETR_RETURN_IF_ERROR(Append(batch, &write_batch));
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  Status status = FromRocks(db_->Write(write_options, &write_batch), "store " + path_ + ": synced write");
  if (status.ok()) ++synced_commits_;
  return status;
}

// Group commit: concurrent Commit() calls enter RocksDB's write thread together, and its leader
// appends all their batches to the WAL as one record and syncs once for the group (see
// WriteThread::EnterAsBatchGroupLeader; a synced write never joins a group that will not sync).
// We also measured a queue of our own in front of it, LevelDB-style leader/follower and then a
// dedicated committer thread: on a loaded machine both were 2 to 8 times slower, because handing
// the lead between blocked threads costs more than RocksDB's spin-then-block hand-off
// (bench/store). Without group commit, commits are serialised here: one sync each.
Status Store::Impl::Commit(const Batch& batch) {
  if (batch.empty()) return Status::Ok();
  if (options_.group_commit) return WriteSynced(batch);
  std::lock_guard<std::mutex> lock(serial_mu_);
  return WriteSynced(batch);
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, StoreOptions options) {
  auto impl = std::make_unique<Impl>();
  MDETR_RETURN_IF_ERROR(impl->Open(path, options));
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Status Store::Commit(const Batch& batch) { return impl_->Commit(batch); }

Status Store::CommitUnsynced(const Batch& batch) {
  if (batch.empty()) return Status::Ok();
  rocksdb::WriteBatch write_batch;
  MDETR_RETURN_IF_ERROR(impl_->Append(batch, &write_batch));
  rocksdb::WriteOptions write_options;
  write_options.sync = false;
  return FromRocks(impl_->db_->Write(write_options, &write_batch), "store " + impl_->path_ + ": write");
}

Result<std::string> Store::Get(Family family, std::string_view key) const {
  std::string stored;
  rocksdb::Status got = impl_->db_->Get(rocksdb::ReadOptions(), impl_->Handle(family), key, &stored);
  if (got.IsNotFound()) return NotFoundError(impl_->Where(family, key) + ": no such record");
  MDETR_RETURN_IF_ERROR(FromRocks(got, impl_->Where(family, key)));
  MDETR_ASSIGN_OR_RETURN(std::string_view payload, UnframeValue(stored, impl_->Where(family, key)));
  return std::string(payload);
}

Status Store::ScanPrefix(Family family, std::string_view prefix, const Visitor& visit) const {
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db_->NewIterator(rocksdb::ReadOptions(), impl_->Handle(family)));
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    if (key.substr(0, prefix.size()) != prefix) break;
    const std::string_view stored(it->value().data(), it->value().size());
    MDETR_ASSIGN_OR_RETURN(std::string_view payload, UnframeValue(stored, impl_->Where(family, key)));
    if (!visit(key, payload)) return Status::Ok();
  }
  return FromRocks(it->status(), "store " + impl_->path_ + ": scan of " + FamilyName(family));
}

Result<std::vector<std::pair<std::string, std::string>>> Store::ListPrefix(Family family,
                                                                           std::string_view prefix,
                                                                           size_t limit) const {
  std::vector<std::pair<std::string, std::string>> records;
  MDETR_RETURN_IF_ERROR(ScanPrefix(family, prefix, [&](std::string_view key, std::string_view value) {
    records.emplace_back(std::string(key), std::string(value));
    return limit == 0 || records.size() < limit;
  }));
  return records;
}

const std::string& Store::path() const { return impl_->path_; }
uint64_t Store::synced_commits() const { return impl_->synced_commits_; }

}  // namespace mdetr::store

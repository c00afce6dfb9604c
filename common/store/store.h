// The coordinator's durable state: RocksDB with one column family per kind of record.
//
// Durability contract:
//   * Commit() returns only after the batch is in the write-ahead log and fsync'ed (sync=true):
//     a state transition that was acknowledged survives a machine crash. A batch is atomic, across
//     column families too. Concurrent Commit() calls are merged into one synced write (group
//     commit, done by RocksDB's write thread): one fsync covers a whole group, so throughput grows
//     with the number of writers while each caller still waits for its own data to be durable.
//   * CommitUnsynced() skips the fsync (metrics, log indexes): it survives a crash of the process
//     but may lose the last writes on a crash of the machine.
//   * Recovery uses RocksDB's default kPointInTimeRecovery: a torn WAL tail is dropped, leaving
//     a consistent prefix.
// Every value is stored with a format byte and a CRC-32C of its bytes, so a corrupted value reads
// back as kDataLoss naming the family and key, never as garbage handed to a decoder.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace mdetr::store {

enum class Family { kJobs, kTasks, kAttempts, kWorkers, kCheckpoints, kMetrics, kEvents };
inline constexpr int kFamilyCount = 7;

// "jobs", "tasks", ...: the column family's name on disk.
const char* FamilyName(Family family);

// Changes applied together or not at all.
class Batch {
 public:
  void Put(Family family, std::string_view key, std::string_view value);
  void Delete(Family family, std::string_view key);
  // Moves `other`'s operations after this batch's (later operations win on the same key).
  void Append(Batch&& other);
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }
  size_t ApproximateBytes() const { return bytes_; }

 private:
  friend class Store;
  struct Op {
    Family family;
    bool is_delete;
    std::string key;
    std::string value;
  };
  std::vector<Op> ops_;
  size_t bytes_ = 0;
};

struct StoreOptions {
  bool create_if_missing = true;
  // Merge concurrent synced commits into one write; off (one sync per commit, commits
  // serialised) only to measure what it buys.
  bool group_commit = true;
  // A commit group stops growing once it holds this many bytes.
  size_t max_group_bytes = 1u << 20;
  // The seam to the file system (null: the machine's). Tests pass one that counts syncs or
  // injects I/O errors; it must outlive the store.
  rocksdb::Env* env = nullptr;
};

class Store {
 public:
  // Opens (or creates) the store at `path`, creating missing column families. Errors:
  // kUnavailable if another process holds the store, kDataLoss for a corrupted store,
  // kFailedPrecondition when it does not exist and create_if_missing is false.
  static Result<std::unique_ptr<Store>> Open(const std::string& path, StoreOptions options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Durable commit (see the contract above).
  Status Commit(const Batch& batch);
  // Commit without fsync.
  Status CommitUnsynced(const Batch& batch);

  // The value of `key`; kNotFound if absent, kDataLoss if the stored bytes are corrupted.
  Result<std::string> Get(Family family, std::string_view key) const;

  // Calls `visit(key, value)` for every key that starts with `prefix`, in key order, until it
  // returns false. A corrupted value stops the scan with kDataLoss.
  using Visitor = std::function<bool(std::string_view key, std::string_view value)>;
  Status ScanPrefix(Family family, std::string_view prefix, const Visitor& visit) const;

  // The key/value pairs under `prefix`, at most `limit` of them (0: all).
  Result<std::vector<std::pair<std::string, std::string>>> ListPrefix(Family family, std::string_view prefix,
                                                                      size_t limit = 0) const;

  const std::string& path() const;
  // Synced commits acknowledged so far.
  uint64_t synced_commits() const;

  class Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mdetr::store

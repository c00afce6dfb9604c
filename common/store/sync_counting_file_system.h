// A RocksDB FileSystem over the machine's that counts Sync/Fsync calls on write-ahead-log files
// and can make them fail: what tests and the store bench use to see what a commit costs.
// Pass NewCompositeEnv(fs).get() as StoreOptions::env.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

namespace mdetr::store {

inline bool IsWalFile(const std::string& name) {
  return name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0;
}

// Counts Sync/Fsync calls on write-ahead-log files, and fails them while fail_syncs is set.
class SyncCountingFileSystem : public rocksdb::FileSystemWrapper {
 public:
  SyncCountingFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "SyncCountingFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* file,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus status = target()->NewWritableFile(name, options, file, dbg);
    if (status.ok() && IsWalFile(name)) *file = std::make_unique<File>(std::move(*file), this);
    return status;
  }

  std::atomic<uint64_t> wal_syncs{0};
  std::atomic<bool> fail_syncs{false};

 private:
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> file, SyncCountingFileSystem* fs)
        : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs) {}
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      return Count() ? target()->Sync(options, dbg) : rocksdb::IOStatus::IOError("injected sync failure");
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      return Count() ? target()->Fsync(options, dbg) : rocksdb::IOStatus::IOError("injected sync failure");
    }

   private:
    bool Count() {
      ++fs_->wal_syncs;
      return !fs_->fail_syncs;
    }
    SyncCountingFileSystem* fs_;
  };
};

}  // namespace mdetr::store

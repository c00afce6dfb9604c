// What the store asks of the file system: a synced WAL before a commit is acknowledged, fewer
// syncs than commits under group commit, none for unsynced writes, and a Status when a sync fails.
// Observed through a RocksDB FileSystem wrapper around the real one (the store's Env seam).
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/env.h>

#include "common/store/store.h"
#include "common/store/sync_counting_file_system.h"
#include "tests/support/test_paths.h"

namespace mdetr::store {
namespace {

class StoreSyncTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Open(bool group_commit = true) {
    StoreOptions options;
    options.group_commit = group_commit;
    options.env = env_.get();
    Result<std::unique_ptr<Store>> store = Store::Open(testing::MakeTempDir("store-sync"), options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  std::shared_ptr<SyncCountingFileSystem> fs_ = std::make_shared<SyncCountingFileSystem>();
  std::unique_ptr<rocksdb::Env> env_ = rocksdb::NewCompositeEnv(fs_);
};

Batch Transition(const std::string& id) {
  Batch batch;
  batch.Put(Family::kAttempts, id, "running");
  batch.Put(Family::kEvents, id, "attempt started");
  return batch;
}

TEST_F(StoreSyncTest, EveryCommitIsSyncedBeforeItReturns) {
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 20; ++i) {
    const uint64_t before = fs_->wal_syncs;
    ASSERT_TRUE(store->Commit(Transition("attempt-" + std::to_string(i))).ok());
    EXPECT_GT(fs_->wal_syncs, before) << "commit " << i << " returned before the WAL was synced";
  }
}

TEST_F(StoreSyncTest, UnsyncedWritesDoNotSync) {
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  const uint64_t before = fs_->wal_syncs;
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(store->CommitUnsynced(Transition("metric-" + std::to_string(i))).ok());
  EXPECT_EQ(fs_->wal_syncs, before);
}

TEST_F(StoreSyncTest, GroupCommitSharesSyncsBetweenWriters) {
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  const uint64_t before = fs_->wal_syncs;
  constexpr int kThreads = 8;
  constexpr int kCommits = 30;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCommits; ++i) {
        EXPECT_TRUE(store->Commit(Transition(std::to_string(t) + "/" + std::to_string(i))).ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const uint64_t syncs = fs_->wal_syncs - before;
  EXPECT_EQ(store->synced_commits(), static_cast<uint64_t>(kThreads * kCommits));
  // Writers arriving during a sync wait for the next one, which carries all of them.
  EXPECT_LT(syncs, static_cast<uint64_t>(kThreads * kCommits)) << "no two commits shared a WAL sync";
}

TEST_F(StoreSyncTest, WithoutGroupCommitEveryCommitHasItsOwnSync) {
  std::unique_ptr<Store> store = Open(/*group_commit=*/false);
  ASSERT_NE(store, nullptr);
  const uint64_t before = fs_->wal_syncs;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i)
        EXPECT_TRUE(store->Commit(Transition(std::to_string(t) + "/" + std::to_string(i))).ok());
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(fs_->wal_syncs - before, 40u);
}

TEST_F(StoreSyncTest, AFailedSyncIsAnErrorNotAnAcknowledgement) {
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Commit(Transition("attempt-ok")).ok());
  fs_->fail_syncs = true;
  const Status failed = store->Commit(Transition("attempt-lost"));
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find("synced write"), std::string::npos) << failed;
  EXPECT_NE(failed.message().find("injected sync failure"), std::string::npos) << failed;
}

}  // namespace
}  // namespace mdetr::store

#include "common/store/store.h"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "common/store/keys.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_paths.h"

namespace mdetr::store {
namespace {

std::unique_ptr<Store> OpenOrDie(const std::string& path, StoreOptions options = {}) {
  Result<std::unique_ptr<Store>> store = Store::Open(path, options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(store).value() : nullptr;
}

std::string GetOrEmpty(const Store& store, Family family, const std::string& key) {
  Result<std::string> value = store.Get(family, key);
  return value.ok() ? *value : "<" + value.status().ToString() + ">";
}

TEST(StoreTest, AcknowledgedCommitsSurviveAKilledProcess) {
  const std::string dir = testing::MakeTempDir("store-crash");
  // Built next to this test binary (tests/store/CMakeLists.txt).
  const std::string helper =
      (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "store_crash_helper").string();
  const testing::CommandResult child = testing::RunCommand(helper + " " + dir + " 25");
  // The child dies by its own SIGKILL after acknowledging every commit.
  EXPECT_EQ(child.exit_code, 128 + SIGKILL) << child.output;
  int acked = 0;
  for (size_t at = child.output.find("acked "); at != std::string::npos;
       at = child.output.find("acked ", at + 1)) {
    ++acked;
  }
  EXPECT_EQ(acked, 25) << child.output;

  std::unique_ptr<Store> store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < acked; ++i) {
    EXPECT_EQ(GetOrEmpty(*store, Family::kAttempts, "job-1/attempt-" + std::to_string(i)), "running") << i;
    EXPECT_EQ(GetOrEmpty(*store, Family::kEvents, KeyWithNumber("job-1/", i)), "attempt started") << i;
  }
}

TEST(StoreTest, CommittedBatchSurvivesReopening) {
  const std::string dir = testing::MakeTempDir("store-reopen");
  {
    std::unique_ptr<Store> store = OpenOrDie(dir);
    Batch batch;
    batch.Put(Family::kJobs, "job-1", "pending");
    batch.Put(Family::kTasks, "job-1/task-0", "pending");
    ASSERT_TRUE(store->Commit(batch).ok());
    Batch transition;
    transition.Put(Family::kJobs, "job-1", "running");
    transition.Delete(Family::kTasks, "job-1/task-0");
    ASSERT_TRUE(store->Commit(transition).ok());
    Batch metric;
    metric.Put(Family::kMetrics, KeyWithNumber("job-1/loss/", 100), "0.5");
    ASSERT_TRUE(store->CommitUnsynced(metric).ok());
  }
  std::unique_ptr<Store> store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(GetOrEmpty(*store, Family::kJobs, "job-1"), "running");
  EXPECT_EQ(store->Get(Family::kTasks, "job-1/task-0").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(GetOrEmpty(*store, Family::kMetrics, KeyWithNumber("job-1/loss/", 100)), "0.5");
}

TEST(StoreTest, AppendedBatchesCommitTogetherAndLaterWritesWin) {
  // The coordinator's group commit: several requests' batches, in arrival order, as one commit.
  std::unique_ptr<Store> store = OpenOrDie(testing::MakeTempDir("store-append"));
  Batch first, second, third;
  first.Put(Family::kTasks, "task-1", "pending");
  first.Put(Family::kJobs, "job-1", "queued");
  second.Put(Family::kTasks, "task-1", "running");
  third.Delete(Family::kJobs, "job-1");
  first.Append(std::move(second));
  first.Append(std::move(third));
  EXPECT_TRUE(second.empty());
  EXPECT_EQ(first.size(), 4u);
  ASSERT_TRUE(store->Commit(first).ok());
  EXPECT_EQ(GetOrEmpty(*store, Family::kTasks, "task-1"), "running");
  EXPECT_EQ(store->Get(Family::kJobs, "job-1").status().code(), StatusCode::kNotFound);
}

TEST(StoreTest, ColumnFamiliesAreIsolated) {
  std::unique_ptr<Store> store = OpenOrDie(testing::MakeTempDir("store-families"));
  Batch batch;
  for (int f = 0; f < kFamilyCount; ++f) {
    batch.Put(static_cast<Family>(f), "same-key", FamilyName(static_cast<Family>(f)));
  }
  ASSERT_TRUE(store->Commit(batch).ok());
  Batch remove;
  remove.Delete(Family::kTasks, "same-key");
  ASSERT_TRUE(store->Commit(remove).ok());

  for (int f = 0; f < kFamilyCount; ++f) {
    const Family family = static_cast<Family>(f);
    if (family == Family::kTasks) {
      EXPECT_EQ(store->Get(family, "same-key").status().code(), StatusCode::kNotFound);
    } else {
      EXPECT_EQ(GetOrEmpty(*store, family, "same-key"), FamilyName(family));
    }
  }
  Result<std::vector<std::pair<std::string, std::string>>> jobs = store->ListPrefix(Family::kJobs, "");
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].second, "jobs");
}

// How many syncs the writers shared is in store_sync_test.cc; here: nothing is lost or torn.
TEST(StoreTest, ConcurrentCommitsAllLandWhole) {
  const std::string dir = testing::MakeTempDir("store-group");
  constexpr int kThreads = 8;
  constexpr int kCommitsPerThread = 40;
  uint64_t commits = 0;
  {
    std::unique_ptr<Store> store = OpenOrDie(dir);
    std::vector<std::thread> threads;
    std::vector<int> failures(kThreads, 0);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kCommitsPerThread; ++i) {
          const std::string id = "job-" + std::to_string(t) + "/attempt-" + std::to_string(i);
          Batch batch;  // a transition touches two families and must land whole
          batch.Put(Family::kAttempts, id, "running");
          batch.Put(Family::kEvents, id, "attempt started");
          if (!store->Commit(batch).ok()) ++failures[t];
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
    commits = store->synced_commits();
  }
  EXPECT_EQ(commits, static_cast<uint64_t>(kThreads * kCommitsPerThread));

  std::unique_ptr<Store> store = OpenOrDie(dir);
  for (int t = 0; t < kThreads; ++t) {
    const std::string prefix = "job-" + std::to_string(t) + "/";
    auto attempts = store->ListPrefix(Family::kAttempts, prefix);
    auto events = store->ListPrefix(Family::kEvents, prefix);
    ASSERT_TRUE(attempts.ok() && events.ok());
    EXPECT_EQ(attempts->size(), static_cast<size_t>(kCommitsPerThread));
    EXPECT_EQ(events->size(), static_cast<size_t>(kCommitsPerThread));
  }
}

TEST(StoreTest, PrefixScansStayInsideThePrefixInKeyOrder) {
  std::unique_ptr<Store> store = OpenOrDie(testing::MakeTempDir("store-scan"));
  Batch batch;
  for (const char* key : {"job-1/task-1", "job-1/task-0", "job-10/task-0", "job-2/task-0", "job-1"}) {
    batch.Put(Family::kTasks, key, key);
  }
  for (uint64_t seq : {65536u, 2u, 256u, 1u}) batch.Put(Family::kEvents, KeyWithNumber("job-1/", seq), "e");
  ASSERT_TRUE(store->Commit(batch).ok());

  auto tasks = store->ListPrefix(Family::kTasks, JoinKey({"job-1", ""}));
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 2u);
  EXPECT_EQ((*tasks)[0].first, "job-1/task-0");
  EXPECT_EQ((*tasks)[1].first, "job-1/task-1");

  auto first = store->ListPrefix(Family::kTasks, "job-", 2);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->size(), 2u);

  std::vector<uint64_t> seqs;
  ASSERT_TRUE(store
                  ->ScanPrefix(Family::kEvents, "job-1/",
                               [&](std::string_view key, std::string_view) {
                                 seqs.push_back(NumberAtEnd(key).value());
                                 return seqs.size() < 3;  // stop early
                               })
                  .ok());
  EXPECT_EQ(seqs, (std::vector<uint64_t>{1, 2, 256}));

  auto none = store->ListPrefix(Family::kTasks, "job-3/");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

// Overwrites a stored value behind the store's back, with RocksDB itself.
void CorruptValue(const std::string& dir, const std::string& family, const std::string& key,
                  const std::function<void(std::string*)>& damage) {
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir, descriptors, &handles, &db).ok());
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] != family) continue;
    std::string value;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), handles[i], key, &value).ok());
    damage(&value);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[i], key, value).ok());
  }
  for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
  delete db;
}

TEST(StoreTest, CorruptedValuesReadAsDataLoss) {
  const std::string dir = testing::MakeTempDir("store-corrupt");
  {
    std::unique_ptr<Store> store = OpenOrDie(dir);
    Batch batch;
    batch.Put(Family::kCheckpoints, "job-1/ckpt-1", "path=/ckpt/1.pth step=100");
    batch.Put(Family::kCheckpoints, "job-1/ckpt-2", "path=/ckpt/2.pth step=200");
    batch.Put(Family::kCheckpoints, "job-1/ckpt-3", "path=/ckpt/3.pth step=300");
    ASSERT_TRUE(store->Commit(batch).ok());
  }
  CorruptValue(dir, "checkpoints", "job-1/ckpt-1", [](std::string* v) { (*v)[v->size() - 3] ^= 0x20; });
  CorruptValue(dir, "checkpoints", "job-1/ckpt-2", [](std::string* v) { v->resize(3); });

  std::unique_ptr<Store> store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  Result<std::string> flipped = store->Get(Family::kCheckpoints, "job-1/ckpt-1");
  EXPECT_EQ(flipped.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(flipped.status().message().find("checkpoints/job-1/ckpt-1"), std::string::npos)
      << flipped.status();
  EXPECT_NE(flipped.status().message().find("checksum"), std::string::npos) << flipped.status();
  Result<std::string> truncated = store->Get(Family::kCheckpoints, "job-1/ckpt-2");
  EXPECT_EQ(truncated.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(truncated.status().message().find("truncated"), std::string::npos) << truncated.status();
  EXPECT_EQ(GetOrEmpty(*store, Family::kCheckpoints, "job-1/ckpt-3"), "path=/ckpt/3.pth step=300");
  EXPECT_EQ(store->ListPrefix(Family::kCheckpoints, "job-1/").status().code(), StatusCode::kDataLoss);
}

TEST(StoreTest, OpenErrorsAreStatuses) {
  const std::string dir = testing::MakeTempDir("store-open");
  std::unique_ptr<Store> first = OpenOrDie(dir);
  Result<std::unique_ptr<Store>> second = Store::Open(dir);
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable) << second.status();

  StoreOptions no_create;
  no_create.create_if_missing = false;
  Result<std::unique_ptr<Store>> missing = Store::Open(dir + "/nothing-here", no_create);
  EXPECT_EQ(missing.status().code(), StatusCode::kFailedPrecondition) << missing.status();

  const std::string file = dir + "-file";
  std::ofstream(file) << "not a database";
  Result<std::unique_ptr<Store>> not_a_dir = Store::Open(file);
  EXPECT_FALSE(not_a_dir.ok());
  std::remove(file.c_str());
}

TEST(StoreTest, RecoveryDropsATornWalTailAndKeepsWhatWasCommitted) {
  const std::string dir = testing::MakeTempDir("store-torn");
  {
    std::unique_ptr<Store> store = OpenOrDie(dir);
    Batch batch;
    batch.Put(Family::kJobs, "job-1", "running");
    ASSERT_TRUE(store->Commit(batch).ok());
  }
  // A crash in the middle of appending leaves half a record at the end of the log.
  int wal_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".log") continue;
    ++wal_files;
    std::ofstream(entry.path(), std::ios::app | std::ios::binary) << std::string("\x07\x00\x13garbage", 10);
  }
  ASSERT_GT(wal_files, 0);
  std::unique_ptr<Store> store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(GetOrEmpty(*store, Family::kJobs, "job-1"), "running");
}

TEST(StoreTest, ACorruptedManifestIsAnErrorNotACrash) {
  const std::string dir = testing::MakeTempDir("store-manifest");
  {
    std::unique_ptr<Store> store = OpenOrDie(dir);
    Batch batch;
    batch.Put(Family::kJobs, "job-1", "running");
    ASSERT_TRUE(store->Commit(batch).ok());
  }
  std::ofstream(dir + "/CURRENT", std::ios::trunc) << "MANIFEST-999999\n";  // points at nothing
  Result<std::unique_ptr<Store>> store = Store::Open(dir);
  EXPECT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(dir), std::string::npos) << store.status();
  EXPECT_NE(store.status().message().find("MANIFEST-999999"), std::string::npos) << store.status();
}

TEST(StoreTest, OpensAStoreWithFamiliesItDoesNotKnow) {
  const std::string dir = testing::MakeTempDir("store-newer");
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir, &db).ok());
    rocksdb::ColumnFamilyHandle* handle = nullptr;
    ASSERT_TRUE(
        db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), "added_by_a_newer_build", &handle).ok());
    db->DestroyColumnFamilyHandle(handle);
    delete db;
  }
  std::unique_ptr<Store> store = OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  Batch batch;
  batch.Put(Family::kWorkers, "worker-1", "alive");
  EXPECT_TRUE(store->Commit(batch).ok());
}

TEST(KeysTest, NumbersSortNumerically) {
  EXPECT_LT(KeyWithNumber("e/", 255), KeyWithNumber("e/", 256));
  EXPECT_LT(KeyWithNumber("e/", 1), KeyWithNumber("e/", 1ull << 40));
  EXPECT_EQ(NumberAtEnd(KeyWithNumber("events/", 123456789)).value(), 123456789u);
  EXPECT_EQ(NumberAtEnd("short").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(JoinKey({"job-1", "task-0", "attempt-2"}), "job-1/task-0/attempt-2");
}

}  // namespace
}  // namespace mdetr::store

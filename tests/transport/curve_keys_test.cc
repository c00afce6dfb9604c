#include "common/transport/curve_keys.h"

#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/transport/endpoint.h"
#include "common/transport/liveness.h"
#include "tests/support/test_paths.h"

namespace mdetr::transport {
namespace {

using std::chrono::milliseconds;

TEST(CurveKeysTest, GeneratesDistinctValidPairs) {
  Result<CurveKeyPair> a = GenerateCurveKeyPair();
  Result<CurveKeyPair> b = GenerateCurveKeyPair();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(IsZ85Key(a->public_key));
  EXPECT_TRUE(IsZ85Key(a->secret_key));
  EXPECT_NE(a->public_key, b->public_key);
  EXPECT_NE(a->secret_key, a->public_key);
}

TEST(CurveKeysTest, WritesSecretOwnerOnlyAndReadsItBack) {
  const std::string dir = testing::MakeTempDir("keys");
  const CurveKeyPair keys = GenerateCurveKeyPair().value();
  ASSERT_TRUE(WriteCurveKeyPair(dir, "coordinator", keys).ok());

  struct stat info {};
  ASSERT_EQ(::stat((dir + "/coordinator.secret").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  Result<CurveKeyPair> read = ReadCurveKeyPair(dir + "/coordinator.secret");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->public_key, keys.public_key);
  EXPECT_EQ(read->secret_key, keys.secret_key);
  EXPECT_EQ(ReadCurvePublicKey(dir + "/coordinator.pub").value(), keys.public_key);

  // Never silently replaced.
  EXPECT_EQ(WriteCurveKeyPair(dir, "coordinator", GenerateCurveKeyPair().value()).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadCurveKeyPair(dir + "/coordinator.secret")->secret_key, keys.secret_key);
}

TEST(CurveKeysTest, RefusesASecretOthersCanRead) {
  const std::string dir = testing::MakeTempDir("keys-mode");
  ASSERT_TRUE(WriteCurveKeyPair(dir, "worker", GenerateCurveKeyPair().value()).ok());
  ASSERT_EQ(::chmod((dir + "/worker.secret").c_str(), 0644), 0);
  Result<CurveKeyPair> read = ReadCurveKeyPair(dir + "/worker.secret");
  EXPECT_EQ(read.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(read.status().message().find("chmod 600"), std::string::npos) << read.status();
}

TEST(CurveKeysTest, RefusesHalvesOfDifferentPairs) {
  const std::string dir = testing::MakeTempDir("keys-mixed");
  const CurveKeyPair a = GenerateCurveKeyPair().value();
  const CurveKeyPair b = GenerateCurveKeyPair().value();
  ASSERT_TRUE(WriteCurveKeyPair(dir, "mixed", CurveKeyPair{a.public_key, b.secret_key}).ok());
  Result<CurveKeyPair> read = ReadCurveKeyPair(dir + "/mixed.secret");
  EXPECT_EQ(read.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(read.status().message().find("does not belong"), std::string::npos) << read.status();
}

TEST(CurveKeysTest, AuthorizedKeysFileNamesTheBadLine) {
  const std::string dir = testing::MakeTempDir("keys-allow");
  const CurveKeyPair a = GenerateCurveKeyPair().value();
  const CurveKeyPair b = GenerateCurveKeyPair().value();
  const std::string good = dir + "/authorized";
  std::ofstream(good) << "# workers of rack 3\n" << a.public_key << " worker-1\n\n" << b.public_key << "\n";
  Result<std::vector<std::string>> keys = ReadAuthorizedKeys(good);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(*keys, (std::vector<std::string>{a.public_key, b.public_key}));

  const std::string bad = dir + "/bad";
  std::ofstream(bad) << a.public_key << "\nnot-a-key\n";
  Result<std::vector<std::string>> refused = ReadAuthorizedKeys(bad);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find(bad + ":2:"), std::string::npos) << refused.status();
}

TEST(EndpointTest, OnlyLoopbackAndLocalTransportsAreLocal) {
  EXPECT_TRUE(IsLocalOnlyEndpoint("tcp://127.0.0.1:5555"));
  EXPECT_TRUE(IsLocalOnlyEndpoint("tcp://127.0.0.1:*"));
  EXPECT_TRUE(IsLocalOnlyEndpoint("tcp://localhost:5555"));
  EXPECT_TRUE(IsLocalOnlyEndpoint("tcp://[::1]:5555"));
  EXPECT_TRUE(IsLocalOnlyEndpoint("ipc:///tmp/coordinator.sock"));
  EXPECT_TRUE(IsLocalOnlyEndpoint("inproc://coordinator"));
  EXPECT_FALSE(IsLocalOnlyEndpoint("tcp://0.0.0.0:5555"));
  EXPECT_FALSE(IsLocalOnlyEndpoint("tcp://*:5555"));
  EXPECT_FALSE(IsLocalOnlyEndpoint("tcp://10.1.2.3:5555"));
  EXPECT_FALSE(IsLocalOnlyEndpoint("tcp://eth0:5555"));
  EXPECT_FALSE(IsLocalOnlyEndpoint("tcp://[::]:5555"));
  EXPECT_FALSE(IsLocalOnlyEndpoint("tcp://127.example.com:5555"));
}

TEST(LivenessTest, ExpiresAfterIntervalTimesLiveness) {
  const MonoTime t0{};
  Liveness liveness(HeartbeatOptions{milliseconds(100), 3}, t0);
  EXPECT_FALSE(liveness.Expired(t0 + milliseconds(300)));
  EXPECT_TRUE(liveness.Expired(t0 + milliseconds(301)));
  liveness.Heard(t0 + milliseconds(250));
  EXPECT_FALSE(liveness.Expired(t0 + milliseconds(500)));
  Liveness off(HeartbeatOptions{milliseconds(0), 3}, t0);
  EXPECT_FALSE(off.Expired(t0 + std::chrono::hours(1)));
}

TEST(BackoffTest, DoublesUpToTheCapAndResets) {
  Backoff backoff(milliseconds(100), milliseconds(500));
  EXPECT_EQ(backoff.Next(), milliseconds(100));
  EXPECT_EQ(backoff.Next(), milliseconds(200));
  EXPECT_EQ(backoff.Next(), milliseconds(400));
  EXPECT_EQ(backoff.Next(), milliseconds(500));
  EXPECT_EQ(backoff.Next(), milliseconds(500));
  backoff.Reset();
  EXPECT_EQ(backoff.Next(), milliseconds(100));
}

}  // namespace
}  // namespace mdetr::transport

#include "common/wire/codec.h"

#include <random>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "tests/wire/sample_messages.h"

namespace mdetr::wire {
namespace {

Envelope Wrap(Body body, uint64_t request_id = 7) {
  Envelope envelope;
  envelope.request_id = request_id;
  envelope.sender = "worker-7";
  envelope.body = std::move(body);
  return envelope;
}

std::string EncodeOrDie(const Envelope& envelope) {
  Result<std::string> frame = Encode(envelope);
  EXPECT_TRUE(frame.ok()) << frame.status();
  return frame.value_or("");
}

TEST(CodecTest, SamplesCoverEveryMessageKind) {
  std::set<size_t> kinds;
  for (const Body& body : testing::OneOfEachKind()) kinds.insert(body.index());
  EXPECT_EQ(kinds.size(), std::variant_size_v<Body>);
}

TEST(CodecTest, EveryMessageKindRoundTrips) {
  for (const Body& body : testing::OneOfEachKind()) {
    const Envelope sent = Wrap(body, 1000 + body.index());
    const std::string frame = EncodeOrDie(sent);
    EXPECT_EQ(frame.size() % 8, 0u);
    Result<Envelope> received = Decode(frame);
    ASSERT_TRUE(received.ok()) << MessageKindName(body) << ": " << received.status();
    EXPECT_TRUE(*received == sent) << "round trip changed a " << MessageKindName(body);
    EXPECT_EQ(received->version, kProtocolVersion);
    EXPECT_EQ(received->request_id, 1000 + body.index());
    EXPECT_EQ(received->sender, "worker-7");
  }
}

TEST(CodecTest, EveryAttemptEventRoundTrips) {
  const std::vector<AttemptStatus> events = {
      AttemptStatus{"attempt-1", 5, AttemptStarted{4242, 1764000000000}},
      AttemptStatus{"attempt-1", 5,
                    AttemptProgress{10, 1, 1764000000100, {Metric{"loss", 2.5}, Metric{"lr", 1e-4}}}},
      AttemptStatus{"attempt-1", 5, testing::SampleCheckpoint()},
      AttemptStatus{"attempt-1", 5,
                    AttemptFinished{137, 9, ExitClass::kInfraError, "OOM killer", 1764000000200}},
  };
  for (const AttemptStatus& status : events) {
    Result<Envelope> received = Decode(EncodeOrDie(Wrap(status)));
    ASSERT_TRUE(received.ok()) << received.status();
    ASSERT_TRUE(Holds<AttemptStatus>(*received));
    EXPECT_TRUE(std::get<AttemptStatus>(received->body) == status) << "event index " << status.event.index();
  }
}

TEST(CodecTest, DifferentMessagesStayDifferent) {
  // Guards the equality the round-trip test relies on: a changed field must compare unequal.
  Envelope a = Wrap(testing::OneOfEachKind()[5]);
  Envelope b = a;
  std::get<PlaceAttempt>(b.body).gpu_indices.push_back(9);
  EXPECT_FALSE(a == b);
  Result<Envelope> decoded = Decode(EncodeOrDie(b));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(std::get<PlaceAttempt>(decoded->body).gpu_indices.size(), 5u);
}

TEST(CodecTest, ErrorRepliesCarryTheStatus) {
  const Status status = ResourceExhaustedError("no 8 free GPUs with label zone=a");
  const Envelope sent = Wrap(ErrorFromStatus(status));
  Result<Envelope> received = Decode(EncodeOrDie(sent));
  ASSERT_TRUE(received.ok());
  EXPECT_EQ(StatusFromError(std::get<ErrorReply>(received->body)), status);
}

TEST(CodecTest, RefusesEmptyAndMisalignedFrames) {
  EXPECT_EQ(Decode("").status().code(), StatusCode::kInvalidArgument);
  const Result<Envelope> odd = Decode("abc");
  EXPECT_EQ(odd.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(odd.status().message().find("8-byte words"), std::string::npos) << odd.status();
}

TEST(CodecTest, RefusesEveryTruncationOfAValidFrame) {
  const std::string frame = EncodeOrDie(Wrap(testing::OneOfEachKind()[3]));  // RegisterWorker
  for (size_t size = 0; size < frame.size(); ++size) {
    Result<Envelope> decoded = Decode(std::string_view(frame).substr(0, size));
    EXPECT_FALSE(decoded.ok()) << "a frame cut to " << size << " of " << frame.size() << " bytes decoded";
    EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument) << decoded.status();
  }
}

TEST(CodecTest, RefusesTrailingGarbage) {
  const std::string frame = EncodeOrDie(Wrap(Ack{"ok"})) + std::string(16, 'x');
  EXPECT_EQ(Decode(frame).status().code(), StatusCode::kInvalidArgument);
}

TEST(CodecTest, GarbageNeverCrashes) {
  std::mt19937 rng(1234);
  int refused = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    std::string garbage(8 * (1 + rng() % 64), '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    Result<Envelope> decoded = Decode(garbage);
    if (!decoded.ok()) ++refused;
  }
  // Random words almost never form a valid segment table, so nearly all are refused.
  EXPECT_GT(refused, 1900);
}

TEST(CodecTest, FlippedBytesAreRefusedOrDecodedNeverCrash) {
  const std::string frame = EncodeOrDie(Wrap(testing::OneOfEachKind()[12]));  // JobStatusReply, nested
  int refused = 0;
  for (size_t i = 0; i < frame.size(); ++i) {
    for (unsigned char flip : {0x01, 0x80, 0xff}) {
      std::string damaged = frame;
      damaged[i] = static_cast<char>(static_cast<unsigned char>(damaged[i]) ^ flip);
      if (!Decode(damaged).ok()) ++refused;
    }
  }
  EXPECT_GT(refused, 0);
}

TEST(CodecTest, RefusesOversizedFramesBeforeParsing) {
  SubmitJob big;
  big.config_yaml = std::string(100000, 'y');
  const std::string frame = EncodeOrDie(Wrap(big));
  DecodeLimits limits;
  limits.max_frame_bytes = 64 * 1024;
  Result<Envelope> decoded = Decode(frame, limits);
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(decoded.status().message().find("exceeds the limit of 65536 bytes"), std::string::npos)
      << decoded.status();
  EXPECT_TRUE(Decode(frame).ok());  // the default limit admits it
}

TEST(CodecTest, TraversalLimitStopsAmplification) {
  SubmitJob big;
  big.config_yaml = std::string(100000, 'y');
  DecodeLimits limits;
  limits.traversal_limit_words = 1000;
  Result<Envelope> decoded = Decode(EncodeOrDie(Wrap(big)), limits);
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument) << decoded.status();
}

TEST(CodecTest, NestingLimitIsEnforced) {
  DecodeLimits limits;
  limits.nesting_limit = 2;
  const std::string frame = EncodeOrDie(Wrap(testing::OneOfEachKind()[12]));  // JobStatusReply
  EXPECT_EQ(Decode(frame, limits).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Decode(frame).ok());
}

TEST(CodecTest, RefusesAProtocolVersionTooOld) {
  Envelope old = Wrap(Heartbeat{1, 2});
  old.version = 0;
  Result<Envelope> decoded = Decode(EncodeOrDie(old));
  EXPECT_EQ(decoded.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(decoded.status().message().find("protocol version 0"), std::string::npos) << decoded.status();
}

TEST(CodecTest, AMessageKindFromANewerPeerIsUnimplementedNotACrash) {
  std::string frame = EncodeOrDie(Wrap(Ack{"hello"}));
  // Flat layout: segment table (8 bytes), root pointer (8), then Envelope's data section, whose
  // bits [32, 48) hold the body's union tag (see `capnp compile -ocapnp mdetr.capnp`).
  constexpr size_t kTagOffset = 8 + 8 + 4;
  ASSERT_EQ(static_cast<unsigned char>(frame[kTagOffset]), 1u) << "layout changed: the tag of 'ack' is 1";
  frame[kTagOffset] = 99;  // a union member this build has never heard of
  Result<Envelope> decoded = Decode(frame);
  EXPECT_EQ(decoded.status().code(), StatusCode::kUnimplemented) << decoded.status();
  EXPECT_NE(decoded.status().message().find("newer"), std::string::npos) << decoded.status();
}

TEST(CodecTest, MessageKindNamesAreDistinct) {
  std::set<std::string> names;
  for (const Body& body : testing::OneOfEachKind()) names.insert(MessageKindName(body));
  EXPECT_EQ(names.size(), std::variant_size_v<Body>);
  EXPECT_STREQ(MessageKindName(Body(SubmitJob{})), "submit_job");
}

}  // namespace
}  // namespace mdetr::wire

// Bucketed gradient averaging with two real Gloo ranks (threads of this process): the result must
// be what one process gets from the mean of both ranks' losses, whatever the bucket size, with
// unused parameters and gradient accumulation handled as DDP does.
#include <gtest/gtest.h>

#include <thread>

#include "tests/support/child_process.h"
#include "worker/trainer/collective.h"
#include "worker/trainer/gradient_buckets.h"

namespace mdetr::trainer {
namespace {

struct NetImpl : torch::nn::Module {
  NetImpl() {
    a = register_module("a", torch::nn::Linear(8, 16));
    b = register_module("b", torch::nn::Linear(16, 16));
    c = register_module("c", torch::nn::Linear(16, 4));
    unused = register_module("unused", torch::nn::Linear(4, 4));  // an optional head this batch skips
  }
  torch::Tensor forward(const torch::Tensor& x) { return c(torch::relu(b(torch::relu(a(x))))); }
  torch::nn::Linear a{nullptr}, b{nullptr}, c{nullptr}, unused{nullptr};
};
TORCH_MODULE(Net);

Net CopyOf(const Net& src) {
  Net dst;
  torch::NoGradGuard ng;
  auto from = src->parameters(), to = dst->parameters();
  for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
  return dst;
}

torch::Tensor Loss(Net& net, const torch::Tensor& x) { return net->forward(x).pow(2).mean(); }

// Runs `per_rank(rank, collective)` on two connected Gloo ranks.
template <typename F>
void OnTwoRanks(F per_rank) {
  const int port = testing::FreeLocalPort();
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      RendezvousOptions o;
      o.rank = r;
      o.world_size = 2;
      o.master_port = port;
      o.timeout = std::chrono::milliseconds(30000);
      auto coll = Connect(o);
      ASSERT_TRUE(coll.ok()) << coll.status().ToString();
      per_rank(r, **coll);
    });
  }
  for (auto& t : threads) t.join();
}

TEST(GradientBucketsTest, TwoRanksGetTheGradientOfTheMeanLossInSmallBuckets) {
  torch::manual_seed(3);
  Net reference;
  const std::vector<torch::Tensor> inputs = {torch::randn({5, 8}), torch::randn({5, 8})};
  // One process: the gradient of the mean of the two ranks' losses.
  (0.5 * (Loss(reference, inputs[0]) + Loss(reference, inputs[1]))).backward();

  std::vector<Net> nets = {CopyOf(reference), CopyOf(reference)};
  std::vector<size_t> buckets(2);
  std::vector<int> early(2);
  std::vector<std::vector<torch::Tensor>> first_step(2);
  OnTwoRanks([&](int r, Collective& coll) {
    GradientBuckets grads(coll, nets[r]->parameters(), /*bucket_bytes=*/300);
    // Step 1 in reverse registration order, step 2 in the rebuilt arrival order: same result.
    for (int step = 0; step < 2; ++step) {
      for (auto& p : nets[r]->parameters()) p.mutable_grad() = torch::Tensor();
      grads.BeginBackward(true);
      Loss(nets[r], inputs[r]).backward();
      const Status s = grads.FinishBackward();
      EXPECT_TRUE(s.ok()) << s.ToString();
      if (step == 0) {
        for (auto& p : nets[r]->parameters()) first_step[r].push_back(p.grad().clone());
      }
    }
    buckets[r] = grads.bucket_count();
    early[r] = grads.started_during_backward();
  });
  EXPECT_GT(buckets[0], 3u);
  // The unused head's bucket would hold back everything behind it; rebuilt, it goes last.
  EXPECT_GT(early[0], 0) << "no bucket started before backward ended: no overlap";
  for (int r = 0; r < 2; ++r) {
    const auto now = nets[r]->parameters();
    for (size_t i = 0; i < now.size(); ++i) EXPECT_TRUE(now[i].grad().equal(first_step[r][i])) << r << " " << i;
  }
  const auto want = reference->named_parameters();
  for (int r = 0; r < 2; ++r) {
    for (const auto& p : nets[r]->named_parameters()) {
      const auto& expected = want[p.key()].grad();
      if (!expected.defined()) {
        EXPECT_EQ(p.key().rfind("unused", 0), 0u);
        EXPECT_TRUE(p.value().grad().defined()) << p.key();
        EXPECT_EQ(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
        continue;
      }
      EXPECT_TRUE(torch::allclose(p.value().grad(), expected, 1e-5, 1e-7)) << "rank " << r << " " << p.key();
    }
  }
}

TEST(GradientBucketsTest, AccumulatedMicroBatchesCommunicateOnceAtTheEnd) {
  torch::manual_seed(4);
  Net reference;
  std::vector<std::vector<torch::Tensor>> inputs = {{torch::randn({3, 8}), torch::randn({3, 8})},
                                                    {torch::randn({3, 8}), torch::randn({3, 8})}};
  // Two micro-batches per rank, each loss divided by 2, averaged over 2 ranks.
  torch::Tensor total = torch::zeros({});
  for (int r = 0; r < 2; ++r) {
    for (int m = 0; m < 2; ++m) total = total + Loss(reference, inputs[r][m]) / 4;
  }
  total.backward();

  std::vector<Net> nets = {CopyOf(reference), CopyOf(reference)};
  OnTwoRanks([&](int r, Collective& coll) {
    GradientBuckets grads(coll, nets[r]->parameters(), 1 << 20);
    for (int m = 0; m < 2; ++m) {
      grads.BeginBackward(/*sync=*/m == 1);
      (Loss(nets[r], inputs[r][m]) / 2).backward();
    }
    EXPECT_TRUE(grads.FinishBackward().ok());
  });
  const auto want = reference->named_parameters();
  for (int r = 0; r < 2; ++r) {
    for (const auto& p : nets[r]->named_parameters()) {
      if (!want[p.key()].grad().defined()) continue;
      EXPECT_TRUE(torch::allclose(p.value().grad(), want[p.key()].grad(), 1e-5, 1e-7)) << r << " " << p.key();
    }
  }
}

TEST(GradientBucketsTest, OneProcessLeavesGradientsUntouched) {
  torch::manual_seed(5);
  Net net;
  auto single = MakeSingleProcess();
  GradientBuckets grads(*single, net->parameters());
  grads.BeginBackward(true);
  Loss(net, torch::randn({2, 8})).backward();
  const auto before = net->a->weight.grad().clone();
  EXPECT_TRUE(grads.FinishBackward().ok());
  EXPECT_TRUE(net->a->weight.grad().equal(before));
}

}  // namespace
}  // namespace mdetr::trainer

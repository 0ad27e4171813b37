// BenchmarkTask and BenchmarkRunner against a real engine (the stories260K
// model from the shared test data, on the CPU backend, with its own loop
// thread and prefix caching on): token counts are exactly what was asked,
// the figures are positive and the summary agrees with the per-prompt
// rows (recomputed here), no prompt is served from the prefix cache, the
// engine saw exactly the requests the plan implies, clipping to a small
// context, cancellation, the one-per-model rule, saving to a BenchStore.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <numeric>
#include <set>

#include "backend/cpu/cpu_backend.h"
#include "engine/engine.h"
#include "telemetry/benchmark_task.h"
#include "testing/paths.h"

namespace impetus {
namespace {

class BenchmarkTaskTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    backend_ = new CpuBackend(CpuBackendOptions{1});
    auto m =
        Model::load(testing::shared_testdata("models/stories260K/stories260K.gguf"), *backend_);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    model_ = m->release();
    auto t = Tokenizer::from_gguf(model_->gguf());
    ASSERT_TRUE(t.ok());
    tok_ = t->release();
  }
  static void TearDownTestSuite() {
    delete tok_;
    delete model_;
    delete backend_;
  }

  std::shared_ptr<Engine> make_engine(int32_t max_context = 256) {
    EngineOptions o;
    o.model_id = "stories";
    o.kv_type = DType::kF32;
    o.scheduler.max_context = max_context;
    auto e = Engine::create(*model_, *tok_, o);
    EXPECT_TRUE(e.ok()) << e.status().to_string();
    return std::shared_ptr<Engine>(std::move(*e));
  }

  static CpuBackend* backend_;
  static Model* model_;
  static Tokenizer* tok_;
};

CpuBackend* BenchmarkTaskTest::backend_ = nullptr;
Model* BenchmarkTaskTest::model_ = nullptr;
Tokenizer* BenchmarkTaskTest::tok_ = nullptr;

TEST_F(BenchmarkTaskTest, ProducesSaneFiguresWithExactCounts) {
  auto engine = make_engine();
  std::vector<BenchmarkProgress> progress;
  BenchmarkTaskOptions o;
  o.model_id = "stories";
  o.task_id = "t1";
  o.params.prompt_lengths = {8, 40, 100};
  o.params.max_tokens = 12;
  o.params.runs = 2;
  o.sample_interval = std::chrono::milliseconds(5);
  o.on_progress = [&](const BenchmarkProgress& p) { progress.push_back(p); };
  const EngineStats before = engine->stats();
  BenchmarkTask task(*engine, o);
  auto record = task.run();
  ASSERT_TRUE(record.ok()) << record.status().to_string();
  const BenchRunRecord& r = *record;

  EXPECT_EQ(r.model_id, "stories");
  EXPECT_EQ(r.model_path, testing::shared_testdata("models/stories260K/stories260K.gguf"));
  EXPECT_EQ(r.model_file_size, 1185376u);  // the file's size (PROVENANCE.md)
  EXPECT_GE(r.finished_at_ms, r.started_at_ms);
  ASSERT_EQ(r.prompts.size(), 6u);
  const int32_t lengths[] = {8, 40, 100, 8, 40, 100};
  for (size_t i = 0; i < r.prompts.size(); ++i) {
    const BenchPromptResult& p = r.prompts[i];
    EXPECT_EQ(p.prompt_tokens, lengths[i]);
    EXPECT_EQ(p.generated_tokens, 12);
    EXPECT_EQ(p.cached_prompt_tokens, 0) << "prompt " << i << " was served from the prefix cache";
    ASSERT_TRUE(p.ttft_ms.has_value());
    EXPECT_GT(*p.ttft_ms, 0.0);
    EXPECT_GT(p.prompt_tokens_per_sec, 0.0);
    EXPECT_NEAR(p.prompt_tokens_per_sec, p.prompt_tokens / (*p.ttft_ms / 1000.0),
                1e-6 * p.prompt_tokens_per_sec);
    EXPECT_GT(p.generated_tokens_per_sec, 0.0);
    EXPECT_GE(p.total_ms, *p.ttft_ms);
  }
  // The summary, recomputed from the rows.
  std::vector<double> ttfts;
  double tokens = 0, seconds = 0;
  for (const auto& p : r.prompts) {
    ttfts.push_back(*p.ttft_ms);
    tokens += p.prompt_tokens;
    seconds += *p.ttft_ms / 1000.0;
  }
  ASSERT_TRUE(r.ttft_ms_avg && r.ttft_ms_p50);
  EXPECT_NEAR(*r.ttft_ms_avg, std::accumulate(ttfts.begin(), ttfts.end(), 0.0) / 6, 1e-9);
  std::sort(ttfts.begin(), ttfts.end());
  EXPECT_NEAR(*r.ttft_ms_p50, (ttfts[2] + ttfts[3]) / 2, 1e-9);
  EXPECT_NEAR(r.prompt_tokens_per_sec, tokens / seconds, 1e-6 * r.prompt_tokens_per_sec);
  EXPECT_GT(r.generated_tokens_per_sec, 0.0);
  const double lo = std::min_element(r.prompts.begin(), r.prompts.end(), [](auto& a, auto& b) {
                      return a.generated_tokens_per_sec < b.generated_tokens_per_sec;
                    })->generated_tokens_per_sec;
  const double hi = std::max_element(r.prompts.begin(), r.prompts.end(), [](auto& a, auto& b) {
                      return a.generated_tokens_per_sec < b.generated_tokens_per_sec;
                    })->generated_tokens_per_sec;
  EXPECT_GE(r.generated_tokens_per_sec, lo * (1 - 1e-9));  // a weighted mean lies within the rows
  EXPECT_LE(r.generated_tokens_per_sec, hi * (1 + 1e-9));
  EXPECT_GT(r.peak_memory_bytes, 1u << 20);
  EXPECT_GE(r.peak_memory_bytes, read_process_memory().rss_bytes / 2);
  EXPECT_FALSE(r.gpu_utilization_avg.has_value());

  auto params = nlohmann::json::parse(r.params_json);
  EXPECT_EQ(params["prompt_lengths_run"], nlohmann::json({8, 40, 100}));
  EXPECT_EQ(params["max_tokens_run"], 12);
  EXPECT_EQ(params["n_ctx"], 256);

  // The engine saw the warm-up and the six prompts, nothing reused.
  const EngineStats after = engine->stats();
  EXPECT_EQ(after.requests_total - before.requests_total, 7u);
  EXPECT_EQ(after.prompt_tokens_reused, before.prompt_tokens_reused);

  // Progress: a start, the warm-up, then one per prompt, steps counting up.
  ASSERT_EQ(progress.size(), 8u);
  EXPECT_EQ(progress[0].phase, "starting");
  EXPECT_EQ(progress[1].phase, "warmup");
  for (size_t i = 0; i < progress.size(); ++i) {
    EXPECT_EQ(progress[i].step, static_cast<int32_t>(i));
    EXPECT_EQ(progress[i].n_steps, 7);
    EXPECT_EQ(progress[i].task_id, "t1");
  }
  EXPECT_EQ(progress[4].phase, "measuring");
  EXPECT_EQ(progress[4].prompt_tokens, 100);
  ASSERT_TRUE(progress[4].last.has_value());
  EXPECT_EQ(progress[4].last->ttft_ms, r.prompts[2].ttft_ms);
  EXPECT_EQ(benchmark_progress_json(progress[4])["prompt_tokens"], 100);
}

TEST_F(BenchmarkTaskTest, PromptsHaveTheAskedLengthAndDiffer) {
  auto engine = make_engine();
  BenchmarkTaskOptions o;
  o.nonce = 42;
  BenchmarkTask task(*engine, o);
  std::set<std::vector<int32_t>> seen;
  for (int32_t index = 0; index < 5; ++index) {
    for (int32_t n : {1, 5, 32, 200}) {
      std::vector<int32_t> p = task.build_prompt(n, index);
      ASSERT_EQ(p.size(), static_cast<size_t>(n));
      for (int32_t t : p) {
        EXPECT_GE(t, 0);
        EXPECT_LT(t, tok_->n_vocab());
      }
      if (tok_->add_bos()) {
        EXPECT_EQ(p[0], tok_->bos_id());
      }
      if (n == 32) {
        EXPECT_TRUE(seen.insert(std::vector<int32_t>(p.begin(), p.begin() + 16)).second)
            << "two prompts share their first block";
      }
    }
  }
  EXPECT_EQ(task.build_prompt(64, 3), task.build_prompt(64, 3));
  // The fixed text shows through after the tag.
  const std::string text = tok_->decode(task.build_prompt(60, 1));
  EXPECT_NE(text.find("lighthouse"), std::string::npos) << text;
}

TEST(BenchmarkPlan, ClipsToTheContext) {
  BenchmarkParams p;  // 32, 128, 512; 64 tokens
  auto plan = plan_benchmark(p, 4096);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->prompt_lengths, (std::vector<int32_t>{32, 128, 512}));
  EXPECT_EQ(plan->max_tokens, 64);
  plan = plan_benchmark(p, 256);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->prompt_lengths, (std::vector<int32_t>{32, 128, 191}));
  plan = plan_benchmark(p, 64);  // generation capped at half the context
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->max_tokens, 32);
  EXPECT_EQ(plan->prompt_lengths, (std::vector<int32_t>{31}));
  EXPECT_EQ(plan_benchmark(p, 2).status().code(), StatusCode::kFailedPrecondition);
  p.runs = 0;
  EXPECT_EQ(plan_benchmark(p, 4096).status().code(), StatusCode::kInvalidArgument);
  p = {};
  p.prompt_lengths = {};
  EXPECT_EQ(validate_benchmark_params(p).code(), StatusCode::kInvalidArgument);
  p.prompt_lengths = {0};
  EXPECT_EQ(validate_benchmark_params(p).code(), StatusCode::kInvalidArgument);
  p.prompt_lengths = {16};
  p.max_tokens = 5000;
  EXPECT_EQ(validate_benchmark_params(p).code(), StatusCode::kInvalidArgument);
}

TEST_F(BenchmarkTaskTest, RunsClippedOnASmallContext) {
  auto engine = make_engine(/*max_context=*/48);
  BenchmarkTaskOptions o;
  o.params.prompt_lengths = {16, 512};
  o.params.max_tokens = 100;
  o.params.warmup = false;
  BenchmarkTask task(*engine, o);
  auto r = task.run();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->prompts.size(), 2u);
  EXPECT_EQ(r->prompts[0].prompt_tokens, 16);
  EXPECT_EQ(r->prompts[1].prompt_tokens, 48 - 24 - 1);
  for (const auto& p : r->prompts) EXPECT_EQ(p.generated_tokens, 24);
}

TEST_F(BenchmarkTaskTest, AveragesTheGpuSampler) {
  auto engine = make_engine();
  std::atomic<int> calls{0};
  BenchmarkTaskOptions o;
  o.params.prompt_lengths = {16};
  o.params.max_tokens = 8;
  o.sample_interval = std::chrono::milliseconds(1);
  o.gpu_utilization = [&]() -> std::optional<double> { return (calls++ % 2 == 0) ? 40.0 : 60.0; };
  auto r = BenchmarkTask(*engine, o).run();
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->gpu_utilization_avg.has_value());
  EXPECT_GE(calls.load(), 1);
  EXPECT_GE(*r->gpu_utilization_avg, 40.0);
  EXPECT_LE(*r->gpu_utilization_avg, 60.0);

  o.gpu_utilization = []() -> std::optional<double> { return std::nullopt; };
  r = BenchmarkTask(*engine, o).run();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->gpu_utilization_avg.has_value());
}

TEST_F(BenchmarkTaskTest, CancelStopsTheRun) {
  auto engine = make_engine();
  BenchmarkTaskOptions o;
  o.params.prompt_lengths = {16};
  o.params.max_tokens = 4;
  o.params.runs = 20;
  BenchmarkTask* self = nullptr;
  int seen = 0;
  o.on_progress = [&](const BenchmarkProgress& p) {
    if (p.step == 2) self->cancel();  // after the first measured prompt
    seen = p.step;
  };
  BenchmarkTask task(*engine, o);
  self = &task;
  auto r = task.run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(seen, 2);
}

TEST(BenchmarkQuantization, FromFileNames) {
  EXPECT_EQ(quantization_from_file_name("/m/Llama-3.2-1B-Instruct-Q4_K_M.gguf"), "Q4_K_M");
  EXPECT_EQ(quantization_from_file_name("qwen2.5-0.5b-instruct-q8_0.gguf"), "Q8_0");
  EXPECT_EQ(quantization_from_file_name("tinyllama.F16.gguf"), "F16");
  EXPECT_EQ(quantization_from_file_name("model-bf16.gguf"), "BF16");
  EXPECT_EQ(quantization_from_file_name("phi-IQ4_XS.gguf"), "IQ4_XS");
  EXPECT_EQ(quantization_from_file_name("stories260K.gguf"), "");
  EXPECT_EQ(quantization_from_file_name("F16X.gguf"), "");  // not a word of its own
}

TEST(ProcessMemory, ReadsProcStatus) {
  const ProcessMemory m = read_process_memory();
  EXPECT_GT(m.rss_bytes, 0u);
  EXPECT_GE(m.hwm_bytes, m.rss_bytes);
}

// Holds the task thread in its first progress callback until released.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return open; });
  }
  void release() {
    {
      std::lock_guard<std::mutex> l(mu);
      open = true;
    }
    cv.notify_all();
  }
};

TEST_F(BenchmarkTaskTest, RunnerSavesRunsAndAllowsOneAtATimePerModel) {
  auto engine = make_engine();
  const std::string dir = testing::scratch_dir("benchmark_runner");
  std::filesystem::remove_all(dir);
  auto store = BenchStore::open(dir + "/impetus.db");
  ASSERT_TRUE(store.ok());
  Gate gate;
  std::mutex mu;
  std::vector<BenchmarkTaskStatus> completed;
  BenchmarkRunnerOptions ro;
  ro.store = &*store;
  ro.hardware = [] { return HardwareIdentity{"fp-test", R"({"cpu":"test"})"}; };
  ro.quantization = [](const EngineInfo& info) { return "F32:" + info.architecture; };
  ro.on_progress = [&](const BenchmarkProgress& p) {
    if (p.phase == "starting") gate.wait();
  };
  ro.on_complete = [&](const BenchmarkTaskStatus& s) {
    std::lock_guard<std::mutex> l(mu);
    completed.push_back(s);
  };
  BenchmarkRunner runner(ro);
  BenchmarkParams params;
  params.prompt_lengths = {8, 24};
  params.max_tokens = 6;
  auto id = runner.start("stories", engine, params);
  ASSERT_TRUE(id.ok()) << id.status().to_string();
  EXPECT_EQ(runner.running_task("stories"), *id);
  auto again = runner.start("stories", engine, params);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find(*id), std::string::npos);
  auto st = runner.status(*id);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->state, BenchmarkState::kRunning);
  EXPECT_EQ(benchmark_status_json(*st)["status"], "running");

  gate.release();
  ASSERT_TRUE(runner.wait(*id, std::chrono::seconds(30)));
  st = runner.status(*id);
  ASSERT_TRUE(st.has_value());
  ASSERT_EQ(st->state, BenchmarkState::kSucceeded) << st->error.to_string();
  EXPECT_TRUE(st->saved) << st->save_error.to_string();
  ASSERT_TRUE(st->result.has_value());
  EXPECT_GT(st->result->id, 0);
  EXPECT_EQ(st->progress.phase, "done");
  EXPECT_FALSE(runner.running_task("stories").has_value());

  auto history = store->history("stories", 5);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1u);
  const BenchRunRecord& saved = (*history)[0];
  EXPECT_EQ(saved.id, st->result->id);
  EXPECT_EQ(saved.source, "api");
  EXPECT_EQ(saved.hardware_fingerprint, "fp-test");
  EXPECT_EQ(nlohmann::json::parse(saved.hardware_json)["cpu"], "test");
  EXPECT_EQ(saved.quantization, "F32:llama");
  EXPECT_EQ(saved.prompts.size(), 2u);
  EXPECT_GT(saved.generated_tokens_per_sec, 0.0);
  {
    std::lock_guard<std::mutex> l(mu);
    ASSERT_EQ(completed.size(), 1u);
    EXPECT_EQ(completed[0].task_id, *id);
  }
  // A second benchmark may start now.
  auto next = runner.start("stories", engine, params);
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(runner.wait(*next, std::chrono::seconds(30)));
  EXPECT_FALSE(runner.status("no-such-task").has_value());
}

TEST_F(BenchmarkTaskTest, RunnerWithoutAStoreReportsWhy) {
  auto engine = make_engine();
  BenchmarkRunnerOptions ro;
  ro.store_status = data_loss("impetus.db is not a valid SQLite database");
  BenchmarkRunner runner(ro);
  BenchmarkParams params;
  params.prompt_lengths = {8};
  params.max_tokens = 4;
  auto id = runner.start("stories", engine, params);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(runner.wait(*id, std::chrono::seconds(30)));
  auto st = runner.status(*id);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->state, BenchmarkState::kSucceeded);
  EXPECT_FALSE(st->saved);
  EXPECT_NE(st->save_error.message().find("not a valid SQLite"), std::string::npos);
  EXPECT_EQ(st->result->hardware_fingerprint, "unknown");
  EXPECT_EQ(runner.start("stories", engine, BenchmarkParams{{}, 4, 1, true}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(BenchmarkTaskTest, RunnerCancelsATask) {
  auto engine = make_engine();
  Gate gate;
  BenchmarkRunnerOptions ro;
  ro.on_progress = [&](const BenchmarkProgress& p) {
    if (p.phase == "starting") gate.wait();
  };
  BenchmarkRunner runner(ro);
  BenchmarkParams params;
  params.prompt_lengths = {8};
  params.max_tokens = 4;
  params.runs = 20;
  auto id = runner.start("stories", engine, params);
  ASSERT_TRUE(id.ok());
  runner.cancel(*id);
  gate.release();
  ASSERT_TRUE(runner.wait(*id, std::chrono::seconds(30)));
  auto st = runner.status(*id);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->state, BenchmarkState::kCancelled);
  EXPECT_EQ(benchmark_status_json(*st)["status"], "cancelled");
}

}  // namespace
}  // namespace impetus

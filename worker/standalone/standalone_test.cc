#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/checker.h"
#include "worker/standalone/codegen.h"
#include "worker/standalone/compile_cache.h"
#include "worker/standalone/standalone_backend.h"

namespace cellfit::standalone {
namespace {

namespace fs = std::filesystem;

model::StepProgram Lif(const std::string& tau_name, double el_mv) {
  model::ModelSpec spec;
  spec.equations =
      absl::StrCat("dsecret_voltage/dt = (El - secret_voltage + R*I)/",
                   tau_name, " : volt\n", tau_name, " : second\nR : ohm\n");
  spec.threshold = "secret_voltage > -50*mV";
  spec.reset = "secret_voltage = -70*mV";
  spec.namespace_entries = {{"El", absl::StrCat(el_mv, "*mV"), {}}};
  spec.inputs = {{"I", model::Dimension::Of(0, 0, 0, 1)}};
  auto checked = model::CheckModel(spec);
  EXPECT_TRUE(checked.model) << checked.diagnostics.ToStatus();
  model::LoweringOptions options;
  options.record = {"secret_voltage"};
  auto program = model::LowerModel(*checked.model, options);
  EXPECT_TRUE(program.ok()) << program.status();
  return *program;
}

// An AdEx neuron: exp of the state in every step (the general path of the
// vector exp, with lanes that leave its range when a spike takes off), a
// threshold and a reset.
model::StepProgram AdEx() {
  model::ModelSpec spec;
  spec.equations =
      "dv/dt = (gL*(EL - v) + gL*DeltaT*exp((v - VT)/DeltaT) - w + I)/C : "
      "volt\n"
      "dw/dt = (a*(v - EL) - w)/tau_w : amp\n"
      "a : siemens\n"
      "tau_w : second\n";
  spec.threshold = "v > 0*mV";
  spec.reset = "v = -58*mV\nw += 80*pA";
  spec.namespace_entries = {{"gL", "10*nS", {}},
                            {"EL", "-70*mV", {}},
                            {"DeltaT", "2*mV", {}},
                            {"VT", "-50*mV", {}},
                            {"C", "200*pF", {}}};
  spec.inputs = {{"I", model::Dimension::Of(0, 0, 0, 1)}};
  spec.param_init = {{"v", "EL"}};
  auto checked = model::CheckModel(spec);
  EXPECT_TRUE(checked.model) << checked.diagnostics.ToStatus();
  model::LoweringOptions options;
  options.record = {"v", "w"};
  auto program = model::LowerModel(*checked.model, options);
  EXPECT_TRUE(program.ok()) << program.status();
  return *program;
}

// dt 0.1 ms, one input (I) of n_traces steps of current: trace t goes from 0
// to first + t * increment amperes after 10 ms.
runtime::SimulationData StepCurrents(int n_traces, int n_steps, double first,
                                     double increment) {
  runtime::SimulationData data;
  data.dt = 1e-4;
  data.n_steps = n_steps;
  runtime::TraceTable input;
  input.n_traces = n_traces;
  input.n_steps = n_steps;
  for (int t = 0; t < n_traces; ++t) {
    for (int k = 0; k < n_steps; ++k)
      input.values.push_back(k > 100 ? first + t * increment : 0);
  }
  data.inputs.push_back(input);
  return data;
}

// Every sample against every trace; lane s * n_traces + t.
std::vector<runtime::Lane> EverySampleAndTrace(int n_samples, int n_traces) {
  std::vector<runtime::Lane> lanes;
  for (int s = 0; s < n_samples; ++s) {
    for (int t = 0; t < n_traces; ++t)
      lanes.push_back({s, t, s * n_traces + t});
  }
  return lanes;
}

// `request` on `lanes` through the runtime backend and `standalone`: the same
// recordings and spikes, bit for bit, and more than `min_spikes` spikes.
void ExpectTheBackendsAgree(runtime::BatchRequest request,
                            const StandaloneRunFn& standalone,
                            std::vector<runtime::Lane> lanes,
                            size_t min_spikes) {
  request.lanes = std::move(lanes);
  auto runtime_result = runtime::RunBatch(request);
  ASSERT_TRUE(runtime_result.ok()) << runtime_result.status();
  auto standalone_result = standalone(request);
  ASSERT_TRUE(standalone_result.ok()) << standalone_result.status();
  EXPECT_EQ(runtime_result->recordings, standalone_result->recordings);
  EXPECT_EQ(runtime_result->spikes, standalone_result->spikes);
  size_t spikes = 0;
  for (const auto& train : runtime_result->spikes) spikes += train.size();
  EXPECT_GT(spikes, min_spikes);
}

class CacheTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           absl::StrCat(
               "cellfit_cache_test_", getpid(), "_",
               testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    options_.cache_dir = dir_.string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  int CountObjects() const {
    int n = 0;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      n += entry.path().extension() == ".so";
    }
    return n;
  }
  fs::path dir_;
  CompilerOptions options_;
};

TEST(Codegen, SourceCarriesNoUserText) {
  const std::string source = GenerateSource(Lif("tau_membrane_xyz", -70));
  EXPECT_EQ(source.find("secret_voltage"), std::string::npos);
  EXPECT_EQ(source.find("tau_membrane_xyz"), std::string::npos);
  EXPECT_NE(source.find("cellfit_run_group"), std::string::npos);
  // Numbers travel as exact hexadecimal literals.
  EXPECT_NE(source.find("0x"), std::string::npos);
}

TEST_F(CacheTest, CompilesOnceAndReusesWithinAndAcrossProcesses) {
  const std::string source = GenerateSource(Lif("tau", -71));
  // Two processes ask for the same program at once: one compiles, the other
  // waits for it and loads its object.
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto compiled = CompileOrLoad(source, options_);
    const double seconds = compiled.ok() ? (*compiled)->compile_seconds : -1;
    (void)!write(pipe_fds[1], &seconds, sizeof seconds);
    _exit(compiled.ok() ? 0 : 1);
  }
  auto compiled = CompileOrLoad(source, options_);
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  double child_seconds = -1;
  ASSERT_EQ(read(pipe_fds[0], &child_seconds, sizeof child_seconds),
            static_cast<ssize_t>(sizeof child_seconds));
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // Exactly one of the two compiled.
  EXPECT_TRUE(((*compiled)->compile_seconds > 0) != (child_seconds > 0))
      << "parent " << (*compiled)->compile_seconds << " s, child "
      << child_seconds << " s";
  EXPECT_EQ(CountObjects(), 1);
  // Within the process, the same object comes back without touching disk.
  auto again = CompileOrLoad(source, options_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->get(), compiled->get());
}

// The kept sources are users' models: other local users must not read them.
TEST_F(CacheTest, ANewCacheAndItsSourcesAreTheWorkersAlone) {
  ASSERT_TRUE(CompileOrLoad(GenerateSource(Lif("tau", -72)), options_).ok());
  EXPECT_EQ(fs::status(dir_).permissions() & fs::perms::all,
            fs::perms::owner_all);
  int sources = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    if (entry.path().extension() != ".cc") continue;
    ++sources;
    EXPECT_EQ(entry.status().permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write)
        << entry.path();
  }
  EXPECT_EQ(sources, 1);
}

TEST_F(CacheTest, ObjectsAreKeptApartByTheCpuTheyWereBuiltFor) {
  const std::string source = GenerateSource(Lif("tau", -72));
  options_.cpu = "model name\t: Newer CPU\nflags\t\t: sse2 avx2 avx512f\n";
  auto newer = CompileOrLoad(source, options_);
  ASSERT_TRUE(newer.ok()) << newer.status();
  // A node with an older CPU sharing the cache directory must not load the
  // newer one's -march=native object: it compiles its own.
  options_.cpu = "model name\t: Older CPU\nflags\t\t: sse2\n";
  auto older = CompileOrLoad(source, options_);
  ASSERT_TRUE(older.ok()) << older.status();
  EXPECT_NE((*older)->key, (*newer)->key);
  EXPECT_GT((*older)->compile_seconds, 0);
  EXPECT_EQ(CountObjects(), 2);
  // The same CPU finds its object.
  options_.cpu = "model name\t: Newer CPU\nflags\t\t: sse2 avx2 avx512f\n";
  auto again = CompileOrLoad(source, options_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->key, (*newer)->key);
  EXPECT_EQ(CountObjects(), 2);
}

TEST(CpuDescription, NamesThisMachinesCpu) {
  const std::string& cpu = CpuDescription();
  EXPECT_FALSE(cpu.empty());
#if defined(__x86_64__)
  EXPECT_NE(cpu.find("flags"), std::string::npos) << cpu;
  EXPECT_NE(cpu.find("model name"), std::string::npos) << cpu;
#endif
}

TEST_F(CacheTest, ACacheThatCannotBeCreatedIsThisWorkersProblem) {
  // UNAVAILABLE tells the server to try another worker, unlike a compile
  // error (INVALID_ARGUMENT), which every worker would hit.
  options_.cache_dir = "/proc/cellfit-no-such-cache";
  auto compiled = CompileOrLoad(GenerateSource(Lif("tau", -73)), options_);
  ASSERT_FALSE(compiled.ok());
  EXPECT_EQ(compiled.status().code(), absl::StatusCode::kUnavailable)
      << compiled.status();
}

TEST_F(CacheTest, EvictsLeastRecentlyUsedBeyondItsBound) {
  options_.max_cache_bytes = 1;  // room for the newest object only
  for (int k = 0; k < 3; ++k) {
    auto compiled =
        CompileOrLoad(GenerateSource(Lif("tau", -60 - k)), options_);
    ASSERT_TRUE(compiled.ok()) << compiled.status();
    EXPECT_TRUE(fs::exists((*compiled)->path));
  }
  EXPECT_EQ(CountObjects(), 1);
}

TEST_F(CacheTest, CompilerErrorsComeBackWithTheCompilersMessage) {
  options_.flags = {"-shared", "-fPIC", "-fno-such-option-cellfit"};
  auto compiled = CompileOrLoad(GenerateSource(Lif("tau", -80)), options_);
  ASSERT_FALSE(compiled.ok());
  EXPECT_EQ(compiled.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(compiled.status().message().find("fno-such-option-cellfit"),
            std::string::npos)
      << compiled.status();
}

TEST_F(CacheTest, SlowCompilesTimeOut) {
  fs::create_directories(dir_);
  const fs::path fake = dir_ / "slow-c++";
  {
    std::ofstream script(fake);
    script
        << "#!/bin/sh\n[ \"$1\" = --version ] && { echo slow 1.0; exit 0; }\n"
           "sleep 30\n";
  }
  fs::permissions(fake, fs::perms::owner_all);
  options_.compiler = fake.string();
  options_.timeout = absl::Milliseconds(300);
  auto compiled = CompileOrLoad(GenerateSource(Lif("tau", -81)), options_);
  ASSERT_FALSE(compiled.ok());
  // A slow node's failure, not the model's: the server tries other workers.
  EXPECT_EQ(compiled.status().code(), absl::StatusCode::kUnavailable)
      << compiled.status();
  EXPECT_NE(compiled.status().message().find("longer than 300ms"),
            std::string::npos)
      << compiled.status();
}

TEST_F(CacheTest, TheCompilerRunsUnderTheMemoryLimit) {
  // A compiler that writes the address-space limit it was given (in KiB, as
  // the shell's ulimit -v reports it) and then fails as GCC does when it
  // runs out of memory.
  fs::create_directories(dir_);
  const fs::path fake = dir_ / "small-c++";
  const fs::path seen = dir_ / "limit-seen";
  {
    std::ofstream script(fake);
    script << "#!/bin/sh\n[ \"$1\" = --version ] && { echo small 1.0; exit "
              "0; }\nulimit -v > "
           << seen.string()
           << "\necho 'cc1plus: out of memory allocating 65536 bytes after a "
              "total of 1000 bytes' >&2\nexit 1\n";
  }
  fs::permissions(fake, fs::perms::owner_all);
  options_.compiler = fake.string();
  options_.max_memory_bytes = int64_t{300} << 20;
  auto compiled = CompileOrLoad(GenerateSource(Lif("tau", -82)), options_);
  ASSERT_FALSE(compiled.ok());
  // This worker's limit, not the model's fault: another worker may have room.
  EXPECT_EQ(compiled.status().code(), absl::StatusCode::kUnavailable)
      << compiled.status();
  EXPECT_THAT(compiled.status().message(),
              ::testing::AllOf(::testing::HasSubstr("memory limit"),
                               ::testing::HasSubstr("300 MiB"),
                               ::testing::HasSubstr("out of memory")));
  std::ifstream in(seen);
  std::string kib;
  in >> kib;
  EXPECT_EQ(kib, std::to_string(300 * 1024));
}

TEST_F(CacheTest, ARealCompileFitsTheDefaultMemoryLimit) {
  ASSERT_GT(CompilerOptions().max_memory_bytes, 0);
  options_.max_memory_bytes = CompilerOptions().max_memory_bytes;
  auto compiled = CompileOrLoad(GenerateSource(Lif("tau", -83)), options_);
  ASSERT_TRUE(compiled.ok()) << compiled.status();
}

TEST_F(CacheTest, GeneratedCodeBeyondTheCapIsNotCompiled) {
  const std::string huge(kMaxGeneratedSourceBytes + 1, ' ');
  auto compiled = CompileOrLoad(huge, options_);
  ASSERT_FALSE(compiled.ok());
  // Every worker would refuse it, so it is the model's problem.
  EXPECT_EQ(compiled.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(compiled.status().message(),
              ::testing::HasSubstr("runtime backend"));
  EXPECT_TRUE(!fs::exists(dir_) || CountObjects() == 0);
}

TEST_F(CacheTest, AMissingCompilerIsReported) {
  options_.compiler = "/nonexistent/cellfit-c++";
  const absl::Status status = CheckCompiler(options_);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("/nonexistent/cellfit-c++"),
            std::string::npos)
      << status;
  EXPECT_FALSE(CompileOrLoad("int x;", options_).ok());
}

// Both backends on one program: bit-identical recordings and spikes, for lane
// counts that leave a wide partial group (21 = 12 + 9), two narrow groups
// (20 = 12 + 4 + 4), a partial narrow one (14 = 12 + 2) and no wide one (3).
TEST_F(CacheTest, MatchesTheRuntimeBackendBitForBit) {
  const model::StepProgram program = Lif("tau", -70);
  const runtime::SimulationData data = StepCurrents(3, 2000, 0.2e-9, 0.1e-9);
  std::vector<double> params;
  for (int s = 0; s < 7; ++s) {
    params.push_back(0.005 + 0.002 * s);  // tau
    params.push_back(1e8);                // R
  }
  runtime::BatchRequest request;
  request.program = &program;
  request.data = &data;
  request.params = params.data();
  request.n_samples = 7;
  request.n_params = 2;
  request.record_spikes = true;
  request.threads = 2;
  auto runner = MakeStandaloneRunner(program, options_);
  ASSERT_TRUE(runner.ok()) << runner.status();
  const std::vector<runtime::Lane> all_lanes = EverySampleAndTrace(7, 3);
  for (size_t n_lanes : {21, 20, 14, 3}) {
    SCOPED_TRACE(n_lanes);
    ExpectTheBackendsAgree(request, *runner,
                           {all_lanes.end() - n_lanes, all_lanes.end()},
                           2 * n_lanes);
  }
}

// A compiler that does not target AVX-512 on a machine that has it: the
// runner falls back to four-lane code instead of failing the model.
TEST_F(CacheTest, ACompilerWithoutAvx512GetsFourLaneCode) {
  if (NativeLaneWidth() != 8) {
    GTEST_SKIP() << "this machine has no AVX-512: four lanes are the default";
  }
  options_.flags = DefaultFlags();
  options_.flags.push_back("-mno-avx512f");
  const model::StepProgram program = Lif("tau", -74);
  EXPECT_FALSE(CompileOrLoad(GenerateSource(program, 8), options_).ok());
  std::shared_ptr<const CompiledProgram> compiled;
  auto runner = MakeStandaloneRunner(program, options_, &compiled);
  ASSERT_TRUE(runner.ok()) << runner.status();
  EXPECT_EQ(compiled->lane_width, 4);
}

// The runtime backend runs blocks of eight vectors of four lanes, or of eight
// where the machine has AVX-512; the generated code runs groups of three
// vectors of the same widths (four everywhere, and eight where the machine
// has AVX-512). Lane counts of several full blocks and groups of either width
// and every kind of remainder give the same bits in all of them.
TEST_F(CacheTest, MatchesTheRuntimeBackendBitForBitAcrossBlockWidths) {
  const model::StepProgram program = AdEx();
  const runtime::SimulationData data = StepCurrents(4, 1500, 0.3e-9, 0.15e-9);
  constexpr int kSamples = 40;
  std::vector<double> params;
  for (int s = 0; s < kSamples; ++s) {
    params.push_back((1 + s % 7) * 1e-9);   // a
    params.push_back((60 + 5 * s) * 1e-3);  // tau_w
  }
  runtime::BatchRequest request;
  request.program = &program;
  request.data = &data;
  request.params = params.data();
  request.n_samples = kSamples;
  request.n_params = 2;
  request.record_spikes = true;
  request.threads = 1;
  std::vector<int> widths = {4};
  if (NativeLaneWidth() == 8) widths.push_back(8);
  const std::vector<runtime::Lane> all_lanes = EverySampleAndTrace(kSamples, 4);
  for (int width : widths) {
    SCOPED_TRACE(absl::StrCat(width, " lanes a vector"));
    auto compiled = CompileOrLoad(GenerateSource(program, width), options_);
    ASSERT_TRUE(compiled.ok()) << compiled.status();
    EXPECT_EQ((*compiled)->lane_width, width);
    const StandaloneRunFn standalone =
        [&compiled](const runtime::BatchRequest& batch) {
          return RunCompiled(**compiled, batch);
        };
    for (size_t n_lanes : {160, 150, 129, 100, 71, 64, 45, 9}) {
      SCOPED_TRACE(n_lanes);
      ExpectTheBackendsAgree(request, standalone,
                             {all_lanes.begin(), all_lanes.begin() + n_lanes},
                             n_lanes);
    }
  }
}

}  // namespace
}  // namespace cellfit::standalone

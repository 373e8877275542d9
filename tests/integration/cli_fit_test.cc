// The fitting verbs of the `cellfit` CLI as a user runs them, on the HH
// example's job file: fit (embedded default and --server), results in every
// format, generate with its CSV and plot, continuation and restart, watch,
// check with positions in the job file, simulate, cancel, Ctrl-C, and the
// exit codes.
#include <signal.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "client/trace_csv.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_harness.h"

namespace cellfit::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Source() { return std::getenv("CELLFIT_SOURCE_DIR"); }
std::string HhJob() { return Source() + "/examples/hh/job.toml"; }

// The id from the `fitter: ID` line, which must come before any round.
std::string FitterId(const std::string& out) {
  std::smatch match;
  static const std::regex kLine("^fitter: ([0-9a-f]+)\n");
  if (!std::regex_search(out, match, kLine)) return "";
  return match[1];
}

int CountMatches(const std::string& text, const std::string& pattern) {
  const std::regex re(pattern);
  return static_cast<int>(
      std::distance(std::sregex_iterator(text.begin(), text.end(), re),
                    std::sregex_iterator()));
}

// The results CSV: header names, then rows of numbers.
struct Table {
  std::vector<std::string> names;
  std::vector<std::vector<double>> rows;
  int column(const std::string& name) const {
    for (size_t c = 0; c < names.size(); ++c) {
      if (names[c] == name) return static_cast<int>(c);
    }
    return -1;
  }
};

Table ParseCsv(const std::string& text) {
  Table table;
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);
  table.names = absl::StrSplit(line, ',');
  while (std::getline(lines, line)) {
    std::vector<double>& row = table.rows.emplace_back();
    for (absl::string_view cell : absl::StrSplit(line, ',')) {
      double value = NAN;
      EXPECT_TRUE(absl::SimpleAtod(cell, &value)) << cell;
      row.push_back(value);
    }
  }
  return table;
}

class CliFitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TestDirectory();
    options_.cwd = dir_;
  }
  RunResult Run(std::vector<std::string> args) { return Cli(args, options_); }

  std::string dir_;
  ProcessOptions options_;
};

TEST_F(CliFitTest, FitResultsAndGenerateWithTheEmbeddedServer) {
  RunResult fit = Run({"fit", HhJob(), "--rounds", "10", "--workers", "2"});
  ASSERT_EQ(fit.exit_code, 0) << fit.err << fit.out;
  const std::string id = FitterId(fit.out);
  ASSERT_FALSE(id.empty()) << fit.out;
  EXPECT_EQ(CountMatches(fit.out,
                         "\nround [0-9]+: best error [0-9.e+-]+ "
                         "mV\\^2 \\| g_na=[^|]* uS, g_kd=[^|]*, "
                         "gl=[^|]*, Cm=[^|]* pF \\|"),
            10)
      << fit.out;
  EXPECT_THAT(fit.out, HasSubstr("round 9: "));
  EXPECT_THAT(fit.out, HasSubstr("completed: 10 rounds in this call"));

  // Every evaluation, SI values; the errors are the MSE in V^2.
  RunResult csv = Run({"results", id, "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  Table results = ParseCsv(csv.out);
  ASSERT_EQ(results.rows.size(), 200u);
  EXPECT_THAT(results.names,
              ::testing::ElementsAre("run", "round", "iteration", "g_na",
                                     "g_kd", "gl", "Cm", "error", "error_v"));
  const int error = results.column("error");
  const int round = results.column("round");
  double initial_mean = 0;
  double best = INFINITY;
  std::vector<double> best_row;
  for (const auto& row : results.rows) {
    if (row[round] == 0) initial_mean += row[error] / 20;
    if (row[error] < best) {
      best = row[error];
      best_row = row;
    }
  }
  EXPECT_LT(best * 10, initial_mean);
  // The text callback's last best error is the table's minimum, in mV^2.
  std::smatch last;
  ASSERT_TRUE(std::regex_search(fit.out, last,
                                std::regex("best error: ([0-9.]+) mV\\^2")));
  EXPECT_NEAR(std::stod(last[1]) * 1e-6, best, 1e-3 * best);

  RunResult json = Run({"results", id, "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_THAT(json.out, HasSubstr("\"n_rows\": 200"));
  EXPECT_THAT(json.out, HasSubstr("\"name\": \"gl\""));
  RunResult list = Run({"results", id});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("error (mV^2)"));
  EXPECT_EQ(CountMatches(list.out, "\n"), 201);
  RunResult dict = Run({"results", id, "--format", "dict"});
  EXPECT_THAT(dict.out, HasSubstr("\nerror_v (mV^2): "));

  // The best parameters' traces: their MSE from t_start = 5 ms against the
  // recorded data is the best error the fit reported.
  RunResult generate = Run({"generate", id, "--out", "fitted.csv", "--plot",
                            "fitted.svg", "--unit", "mV"});
  ASSERT_EQ(generate.exit_code, 0) << generate.err;
  EXPECT_THAT(generate.out,
              HasSubstr("plotted v against the recorded data in fitted.svg"));
  auto fitted = client::ReadTraceCsv(dir_ + "/fitted.csv");
  ASSERT_TRUE(fitted.ok()) << fitted.status();
  auto recorded =
      client::ReadTraceCsv(Source() + "/examples/hh/output_traces_hh.csv");
  ASSERT_TRUE(recorded.ok());
  ASSERT_EQ(fitted->n_traces, 5u);
  ASSERT_EQ(fitted->n_steps, recorded->n_steps);
  double sum = 0;
  int count = 0;
  for (uint32_t trace = 0; trace < 5; ++trace) {
    for (uint32_t step = 500; step < fitted->n_steps; ++step) {
      const size_t k = trace * fitted->n_steps + step;
      const double difference =
          (fitted->values[k] - recorded->values[k]) * 1e-3;  // mV -> V
      sum += difference * difference;
      ++count;
    }
  }
  EXPECT_NEAR(sum / count, best, 1e-9 * best);
  // A whole SVG document with one panel per input trace.
  const std::string svg = ReadFile(dir_ + "/fitted.svg");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_EQ(svg.substr(svg.find_last_not_of(" \n") - 5, 6), "</svg>");
  EXPECT_EQ(CountMatches(svg, "<g class=\"panel\""), 5);
  EXPECT_EQ(CountMatches(svg, "<g[ >]"), CountMatches(svg, "</g>"));
  EXPECT_THAT(svg, HasSubstr("trace 4"));
  EXPECT_THAT(svg, HasSubstr("v (mV)"));
  EXPECT_THAT(svg, HasSubstr("recorded"));

  // The same parameters given explicitly, through simulate (no fitter): the
  // very same file.
  std::string params;
  for (const char* name : {"g_na", "g_kd", "gl", "Cm"}) {
    char text[64];
    std::snprintf(text, sizeof text, "%s%s=%.17g", params.empty() ? "" : ",",
                  name, best_row[results.column(name)]);
    params += text;
  }
  RunResult simulate = Run({"simulate", HhJob(), "--params", params, "--out",
                            "simulated.csv", "--unit", "mV"});
  ASSERT_EQ(simulate.exit_code, 0) << simulate.err;
  EXPECT_EQ(ReadFile(dir_ + "/simulated.csv"), ReadFile(dir_ + "/fitted.csv"));

  // Refine starts from the best parameters and never ends worse.
  RunResult refine = Run({"refine", id, "--max-iterations", "3"});
  ASSERT_EQ(refine.exit_code, 0) << refine.err;
  std::smatch refined;
  ASSERT_TRUE(std::regex_search(refine.out, refined,
                                std::regex("refined error: ([0-9.]+) mV\\^2")))
      << refine.out;
  EXPECT_LE(std::stod(refined[1]) * 1e-6, best * (1 + 1e-3));
  EXPECT_THAT(refine.out, HasSubstr("iteration 1: error "));

  // Several variables: one file each; spikes as trace,time rows.
  RunResult several = Run({"generate", id, "--vars", "v,m", "--out", "vm.csv"});
  ASSERT_EQ(several.exit_code, 0) << several.err;
  auto m = client::ReadTraceCsv(dir_ + "/vm_m.csv");
  ASSERT_TRUE(m.ok()) << m.status();
  for (double value : m->values) {
    ASSERT_GE(value, 0);
    ASSERT_LE(value, 1);
  }
  auto v_si = client::ReadTraceCsv(dir_ + "/vm_v.csv");
  ASSERT_TRUE(v_si.ok());
  EXPECT_NEAR(v_si->values[1000] * 1e3, fitted->values[1000], 1e-9);
}

TEST_F(CliFitTest, ContinueRestartWatchAndCancelOnASharedServer) {
  auto server = StartServer(dir_, dir_ + "/shared.db", 1);
  ASSERT_TRUE(server.ok()) << server.status();
  options_.env["CELLFIT_SERVER"] = server->address;

  RunResult first =
      Run({"fit", HhJob(), "--rounds", "3", "--callback", "progressbar"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string id = FitterId(first.out);
  ASSERT_FALSE(id.empty());
  EXPECT_THAT(first.out, HasSubstr("3/3 rounds | best error"));
  EXPECT_THAT(first.out, HasSubstr("rounds/s"));

  RunResult more = Run(
      {"fit", HhJob(), "--fitter", id, "--rounds", "2", "--callback", "text"});
  ASSERT_EQ(more.exit_code, 0) << more.err;
  EXPECT_EQ(FitterId(more.out), id);
  EXPECT_THAT(more.out, HasSubstr("round 3: "));
  EXPECT_THAT(more.out, HasSubstr("round 4: "));
  EXPECT_THAT(more.out, Not(HasSubstr("round 0: ")));

  RunResult watch = Run({"watch", id, "--from", "1"});
  ASSERT_EQ(watch.exit_code, 0) << watch.err;
  EXPECT_THAT(watch.out, Not(HasSubstr("round 0: ")));
  EXPECT_EQ(CountMatches(watch.out, "\nround [0-9]+: |^round [0-9]+: "), 4);

  RunResult restart = Run({"fit", HhJob(), "--fitter", id, "--rounds", "1",
                           "--restart", "--callback", "none"});
  ASSERT_EQ(restart.exit_code, 0) << restart.err;
  EXPECT_THAT(restart.out, Not(HasSubstr("round 0: ")));
  EXPECT_THAT(restart.out, HasSubstr("(run 1, last round 0)"));
  EXPECT_THAT(restart.out, HasSubstr("best parameters:\n  g_na"));

  RunResult all = Run({"results", id, "--format", "csv", "--all-runs"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(ParseCsv(all.out).rows.size(), 6u * 20);
  RunResult current = Run({"results", id, "--format", "csv", "--out", "r.csv"});
  ASSERT_EQ(current.exit_code, 0) << current.err;
  EXPECT_THAT(current.out, HasSubstr("wrote 20 evaluations to r.csv"));
  EXPECT_EQ(ParseCsv(ReadFile(dir_ + "/r.csv")).rows.size(), 20u);

  RunResult idle = Run({"cancel", id});
  EXPECT_EQ(idle.exit_code, 1);
  EXPECT_THAT(idle.err, HasSubstr("is not running"));
  RunResult ls = Run({"ls"});
  EXPECT_THAT(ls.out, HasSubstr(id));
  EXPECT_EQ(Run({"rm", id}).exit_code, 0);
  RunResult gone = Run({"generate", id, "--out", "x.csv"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_THAT(gone.err, HasSubstr(id));
}

TEST_F(CliFitTest, CtrlCStopsAfterTheCurrentRoundAndKeepsTheRounds) {
  auto server = StartServer(dir_, dir_ + "/shared.db", 1);
  ASSERT_TRUE(server.ok()) << server.status();
  ProcessOptions options = options_;
  options.env["CELLFIT_SERVER"] = server->address;
  options.argv = {kCliBinary, "fit", HhJob(), "--rounds", "100000"};
  options.stdout_path = dir_ + "/fit.out";
  options.stderr_path = dir_ + "/fit.err";
  auto process = Process::Start(options);
  ASSERT_TRUE(process.ok()) << process.status();
  ASSERT_TRUE(PollUntil(
      [&] {
        return ReadFile(dir_ + "/fit.out").find("round 2:") !=
               std::string::npos;
      },
      absl::Seconds(60)))
      << ReadFile(dir_ + "/fit.err");
  (*process)->Signal(SIGINT);
  std::optional<int> status = (*process)->Wait(absl::Seconds(60));
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0) << ReadFile(dir_ + "/fit.err");
  const std::string out = ReadFile(dir_ + "/fit.out");
  EXPECT_THAT(ReadFile(dir_ + "/fit.err"),
              HasSubstr("stopping after the current round"));
  EXPECT_THAT(out, HasSubstr("stopped: "));
  const int rounds = CountMatches(out, "\nround [0-9]+: ");
  // Every streamed round is recorded, and nothing after the stop.
  ProcessOptions query = options_;
  query.env["CELLFIT_SERVER"] = server->address;
  RunResult csv = Cli({"results", FitterId(out), "--format", "csv"}, query);
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(ParseCsv(csv.out).rows.size(), 20u * rounds);

  // `cellfit cancel` from another shell ends a running fit.
  options.stdout_path = dir_ + "/fit2.out";
  options.stderr_path = dir_ + "/fit2.err";
  auto second = Process::Start(options);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_TRUE(PollUntil(
      [&] {
        return ReadFile(dir_ + "/fit2.out").find("round 1:") !=
               std::string::npos;
      },
      absl::Seconds(60)))
      << ReadFile(dir_ + "/fit2.err");
  const std::string id = FitterId(ReadFile(dir_ + "/fit2.out"));
  RunResult cancel = Cli({"cancel", id}, query);
  ASSERT_EQ(cancel.exit_code, 0) << cancel.err;
  EXPECT_THAT(cancel.out, HasSubstr("cancelled " + id));
  status = (*second)->Wait(absl::Seconds(60));
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(WIFEXITED(*status));
  // Not what the fit's command asked for: a user error, with the rounds
  // done shown.
  EXPECT_EQ(WEXITSTATUS(*status), 1);
  EXPECT_THAT(ReadFile(dir_ + "/fit2.err"),
              HasSubstr("cellfit: error: the fit was cancelled"));
  EXPECT_THAT(ReadFile(dir_ + "/fit2.out"), HasSubstr("\ncancelled: "));
}

TEST_F(CliFitTest, BothBackendsFitTheSameWay) {
  // The backends compute the same bits, so the same seed gives the same
  // candidates and the same errors, round after round.
  std::vector<std::vector<double>> errors;
  for (const char* backend : {"runtime", "standalone"}) {
    RunResult fit =
        Run({"fit", HhJob(), "--rounds", "3", "--seed", "5", "--backend",
             backend, "--callback", "none", "--workers", "2"});
    ASSERT_EQ(fit.exit_code, 0) << backend << ": " << fit.err;
    RunResult csv = Run(
        {"results", FitterId(fit.out), "--format", "csv", "--workers", "1"});
    ASSERT_EQ(csv.exit_code, 0) << csv.err;
    Table table = ParseCsv(csv.out);
    ASSERT_EQ(table.rows.size(), 60u);
    std::vector<double>& column = errors.emplace_back();
    for (const auto& row : table.rows) {
      column.push_back(row[table.column("error")]);
    }
  }
  EXPECT_EQ(errors[0], errors[1]);
}

TEST_F(CliFitTest, CheckPrintsTheModelOrPointsIntoTheJobFile) {
  RunResult good = Run({"check", HhJob(), "--workers", "1"});
  ASSERT_EQ(good.exit_code, 0) << good.err;
  EXPECT_THAT(good.out, HasSubstr("method: exponential_euler"));
  EXPECT_THAT(good.out, HasSubstr("fitted parameters: g_na, g_kd, gl, Cm"));
  EXPECT_THAT(good.out, HasSubstr("from the namespace: EK, ENa, El, VT"));
  EXPECT_TRUE(std::regex_search(good.out, std::regex("\n  v +state +V *\n")))
      << good.out;
  EXPECT_TRUE(std::regex_search(
      good.out, std::regex("\n  gl +parameter +S +constant\n")));

  // A unit mistake on the third line of the equations, and an unknown name
  // in the reset.
  std::string job = ReadFile(HhJob());
  const std::string examples = Source() + "/examples/hh/";
  job = std::regex_replace(job, std::regex("csv = \""), "csv = \"" + examples);
  job = std::regex_replace(job, std::regex("\\(exp\\(\\(v-VT-40\\.\\*mV\\)"),
                           "(exp((v-VT-40.)");
  std::ofstream(dir_ + "/bad.toml") << job;
  int line = 0;
  {
    std::istringstream lines(job);
    std::string text;
    for (int n = 1; std::getline(lines, text); ++n) {
      if (size_t at = text.find("(exp((v-VT-40.)"); at != std::string::npos) {
        line = n;
      }
    }
  }
  ASSERT_GT(line, 0);
  RunResult bad = Run({"check", "bad.toml", "--workers", "1"});
  EXPECT_EQ(bad.exit_code, 1);
  // The message points at the line of the mistake within the file.
  EXPECT_THAT(bad.err, HasSubstr("bad.toml:" + std::to_string(line) + ":"))
      << bad.err;
  EXPECT_THAT(bad.err, HasSubstr(": error: "));
  EXPECT_THAT(bad.err, Not(HasSubstr("cellfit: error:")));

  // The same problem stops `fit` before any fitter is created.
  RunResult fit = Run({"fit", "bad.toml", "--workers", "1"});
  EXPECT_EQ(fit.exit_code, 1);
  EXPECT_THAT(fit.err, HasSubstr("bad.toml:" + std::to_string(line) + ":"));
  EXPECT_THAT(fit.out, Not(HasSubstr("fitter:")));
}

TEST_F(CliFitTest, BadCommandLinesAreUserErrorsAndNoServerIsTwo) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"fit", HhJob(), "--callback", "loud"},
       "'loud' is not a callback (expected text, progressbar or none)"},
      {{"fit", HhJob(), "--restart"}, "--restart needs --fitter ID"},
      {{"fit", HhJob(), "--seed", "x"}, "--seed: 'x' is not"},
      {{"fit", HhJob(), "--backend", "gpu"}, "'gpu' is not a backend"},
      {{"fit", "missing.toml"}, "missing.toml"},
      {{"results", "abc", "--format", "xml"}, "'xml' is not a format"},
      {{"generate", "abc"}, "give --out FILE.csv"},
      {{"simulate", HhJob(), "--out", "s.csv"},
       "give every parameter's value with --params"},
      {{"simulate", HhJob(), "--params", "gl", "--out", "s.csv"},
       "'gl' is not NAME=VALUE"},
      {{"simulate", HhJob(), "--params", "gl=1*nS,gl=2*nS", "--out", "s.csv"},
       "'gl' is given twice"},
      {{"simulate", HhJob(), "--params", "gl=1*nQ", "--out", "s.csv"}, "nQ"},
      {{"simulate", HhJob(), "--params", "g_na=1*uS", "--out", "s.csv",
        "--backend", "gpu"},
       "'gpu' is not a backend"},
  };
  for (const Case& c : cases) {
    RunResult result = Run(c.args);
    EXPECT_EQ(result.exit_code, 1) << c.args[0] << " " << result.err;
    EXPECT_THAT(result.err, HasSubstr(c.message)) << c.args[0];
  }
  // A parameter with the wrong unit is found by the server.
  RunResult units =
      Run({"simulate", HhJob(), "--workers", "1", "--params",
           "g_na=20*mV,g_kd=6*uS,gl=10*nS,Cm=200*pF", "--out", "s.csv"});
  EXPECT_EQ(units.exit_code, 1);
  EXPECT_THAT(units.err, HasSubstr("'g_na' has unit S"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/s.csv"));

  RunResult unreachable = Run({"fit", HhJob(), "--server", "127.0.0.1:1"});
  EXPECT_EQ(unreachable.exit_code, 2);
  EXPECT_THAT(unreachable.err, HasSubstr("cannot reach the cellfit server"));
}

// The line of `text` that holds `needle`, or "".
std::string LineWith(const std::string& text, const std::string& needle) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(needle) != std::string::npos) return line;
  }
  return "";
}

TEST_F(CliFitTest, LsResultsRefineWatchAndRmShowUnitsAndEveryOutcome) {
  auto server = StartServer(dir_, dir_ + "/shared.db", 1);
  ASSERT_TRUE(server.ok()) << server.status();
  options_.env["CELLFIT_SERVER"] = server->address;
  RunResult fit = Run({"fit", HhJob(), "--rounds", "2", "--callback", "none"});
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  const std::string id = FitterId(fit.out);
  ASSERT_FALSE(id.empty()) << fit.out;
  RunResult other =
      Run({"fit", HhJob(), "--rounds", "1", "--callback", "none"});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  const std::string other_id = FitterId(other.out);
  ASSERT_FALSE(other_id.empty()) << other.out;

  // The best error in a readable unit, as fit shows it.
  RunResult ls = Run({"ls"});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_TRUE(
      std::regex_search(LineWith(ls.out, id), std::regex(" [0-9.]+ mV\\^2 ")))
      << ls.out;

  // SI values, the error's unit named as the other formats name it.
  RunResult json = Run({"results", id, "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_TRUE(std::regex_search(
      json.out, std::regex("\"name\": \"error\",\\s*\"unit\": \"V\\^2\"")))
      << json.out;
  EXPECT_TRUE(std::regex_search(
      json.out, std::regex("\"name\": \"gl\",\\s*\"unit\": \"S\"")))
      << json.out;

  // Each iteration once, then the result.
  RunResult refine = Run({"refine", id, "--max-iterations", "2"});
  ASSERT_EQ(refine.exit_code, 0) << refine.err;
  std::vector<int> iterations;
  std::regex iteration_line("(^|\n)iteration ([0-9]+): error ");
  for (auto it = std::sregex_iterator(refine.out.begin(), refine.out.end(),
                                      iteration_line);
       it != std::sregex_iterator(); ++it) {
    iterations.push_back(std::stoi((*it)[2]));
  }
  ASSERT_FALSE(iterations.empty()) << refine.out;
  for (size_t i = 1; i < iterations.size(); ++i) {
    EXPECT_LT(iterations[i - 1], iterations[i]) << refine.out;
  }
  EXPECT_THAT(refine.out, HasSubstr("refined error: "));
  // brian2modelfitting's max_nfev bounds the simulations, and its iteration
  // reaches the server as a number.
  RunResult capped = Run({"refine", id, "--max-nfev", "3", "--iteration", "7"});
  ASSERT_EQ(capped.exit_code, 0) << capped.err;
  EXPECT_THAT(
      capped.out,
      HasSubstr("reached the maximum number of simulations (max_nfev)"));
  RunResult bad_iteration = Run({"refine", id, "--iteration", "soon"});
  EXPECT_EQ(bad_iteration.exit_code, 1);
  EXPECT_THAT(bad_iteration.err,
              HasSubstr("--iteration: 'soon' is not a finite number"));

  // A replay ran no rounds: its summary says which it showed.
  RunResult watch = Run({"watch", id, "--callback", "none"});
  ASSERT_EQ(watch.exit_code, 0) << watch.err;
  EXPECT_THAT(watch.out, HasSubstr("2 rounds shown (run "));
  EXPECT_THAT(watch.out, HasSubstr(", rounds 0 to 1), which took "));
  EXPECT_THAT(watch.out, Not(HasSubstr("in this call")));
  EXPECT_THAT(watch.out, Not(HasSubstr("wall time")));

  // An unknown ID in the middle: the others are still removed.
  // cancel goes through every ID as rm does: none of these is running.
  RunResult cancel = Run({"cancel", id, "fnotthere1", other_id});
  EXPECT_EQ(cancel.exit_code, 1);
  EXPECT_THAT(cancel.err, HasSubstr("fitter '" + id + "' is not running"));
  EXPECT_THAT(cancel.err, HasSubstr("fnotthere1"));
  EXPECT_THAT(cancel.err,
              HasSubstr("fitter '" + other_id + "' is not running"));
  EXPECT_THAT(cancel.err, HasSubstr("3 of 3 fitters not cancelled"));
  RunResult rm = Run({"rm", id, "fnotthere1", other_id});
  EXPECT_EQ(rm.exit_code, 1);
  EXPECT_THAT(rm.out, HasSubstr("removed " + id + "\n"));
  EXPECT_THAT(rm.out, HasSubstr("removed " + other_id + "\n"));
  EXPECT_THAT(rm.err, HasSubstr("fnotthere1"));
  EXPECT_THAT(rm.err, HasSubstr("1 of 3 fitters not removed"));
  RunResult after = Run({"ls"});
  EXPECT_THAT(after.out, HasSubstr("no fitters")) << after.out;
}

TEST_F(CliFitTest, GeneratePlotOfASpikeFitterWritesTheSpikesWithoutAPlot) {
  {
    std::ofstream current(dir_ + "/current.csv");
    current << ",";
    for (int step = 0; step < 1000; ++step)
      current << (step ? "," : "") << step;
    for (int trace = 0; trace < 2; ++trace) {
      current << "\n" << trace;
      for (int step = 0; step < 1000; ++step) current << ",0.5";
    }
    current << "\n";
  }
  std::ofstream(dir_ + "/spikes.csv") << "trace,time\n0,0.02\n0,0.06\n1,0.03\n";
  std::ofstream(dir_ + "/spike.toml") << R"(kind = "spike"
dt = "0.1*ms"
n_samples = 4
n_rounds = 1
equations = '''
dv/dt = (gL*(EL - v) + gL*DeltaT*exp((v - VT)/DeltaT) + I - w)/C : volt
dw/dt = (a*(v - EL) - w)/tauw : amp
C : farad (constant)
b : amp (constant)
'''
threshold = "v > -40*mV"
reset = "v = -58*mV; w += b"
refractory = "2*ms"
[namespace]
gL = "10*nS"
EL = "-70*mV"
VT = "-50*mV"
DeltaT = "2*mV"
a = "2*nS"
tauw = "100*ms"
[param_init]
v = "-70*mV"
[input.I]
csv = "current.csv"
unit = "nA"
[output.spikes]
csv = "spikes.csv"
[bounds]
C = ["50*pF", "500*pF"]
b = ["0*nA", "0.2*nA"]
[metric]
type = "gamma"
delta = "2*ms"
time = "100*ms"
)";
  auto server = StartServer(dir_, dir_ + "/shared.db", 1);
  ASSERT_TRUE(server.ok()) << server.status();
  options_.env["CELLFIT_SERVER"] = server->address;
  RunResult fit = Run({"fit", dir_ + "/spike.toml", "--callback", "none"});
  ASSERT_EQ(fit.exit_code, 0) << fit.err << fit.out;
  const std::string id = FitterId(fit.out);
  ASSERT_FALSE(id.empty()) << fit.out;

  // The spikes are written; the plot, which draws traces, is not, and the
  // user is told why.
  RunResult both =
      Run({"generate", id, "--out", "spikes_out.csv", "--plot", "s.svg"});
  EXPECT_EQ(both.exit_code, 0) << both.err;
  EXPECT_THAT(both.out, HasSubstr("spikes of 2 traces to spikes_out.csv"));
  EXPECT_THAT(both.err, HasSubstr("--plot draws traces"));
  EXPECT_THAT(both.err, HasSubstr("no plot written to s.svg"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/spikes_out.csv"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/s.svg"));

  // --plot alone would produce nothing at all.
  RunResult plot_only = Run({"generate", id, "--plot", "s.svg"});
  EXPECT_EQ(plot_only.exit_code, 1);
  EXPECT_THAT(plot_only.err, HasSubstr("--plot draws traces"));

  // With a trace recorded as well, the plot is drawn.
  RunResult with_v = Run({"generate", id, "--vars", "v,spikes", "--out",
                          "both.csv", "--plot", "v.svg"});
  EXPECT_EQ(with_v.exit_code, 0) << with_v.err;
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/v.svg"));
}

}  // namespace
}  // namespace cellfit::testing

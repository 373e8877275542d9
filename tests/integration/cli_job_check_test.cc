// `cellfit check` and `cellfit fit` on job files whose fit settings (bounds,
// optimizer, metric), dt or inputs are wrong: every problem at its place in
// the job file, before any fitter exists; bare-number bounds in SI units of
// their parameter; an unknown --fitter before any `fitter:` line.
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_harness.h"

namespace cellfit::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Source() { return std::getenv("CELLFIT_SOURCE_DIR"); }

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "LINE:COLUMN" of `needle`'s character `skip` in `text`.
std::string PlaceOf(const std::string& text, const std::string& needle,
                    size_t skip = 0) {
  std::istringstream lines(text);
  std::string line;
  for (int n = 1; std::getline(lines, line); ++n) {
    if (size_t at = line.find(needle); at != std::string::npos) {
      return std::to_string(n) + ":" + std::to_string(at + 1 + skip);
    }
  }
  ADD_FAILURE() << "no '" << needle << "' in the job file";
  return "?";
}

class CliJobCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TestDirectory();
    options_.cwd = dir_;
    auto server = StartServer(dir_, dir_ + "/shared.db", 1);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    options_.env["CELLFIT_SERVER"] = server_.address;
    // The HH example with its CSVs found from anywhere.
    job_ = std::regex_replace(ReadWhole(Source() + "/examples/hh/job.toml"),
                              std::regex("csv = \""),
                              "csv = \"" + Source() + "/examples/hh/");
  }

  RunResult Run(std::vector<std::string> args) { return Cli(args, options_); }

  // The example with `from` replaced by `to` (which must be there), written
  // as NAME in the test's directory.
  std::string Edited(
      const std::string& name,
      const std::vector<std::pair<std::string, std::string>>& replacements) {
    std::string text = job_;
    for (const auto& [from, to] : replacements) {
      const size_t at = text.find(from);
      EXPECT_NE(at, std::string::npos) << from;
      if (at != std::string::npos) text.replace(at, from.size(), to);
    }
    std::ofstream(dir_ + "/" + name) << text;
    return text;
  }

  std::string Fitters() {
    RunResult ls = Run({"ls"});
    EXPECT_EQ(ls.exit_code, 0) << ls.err;
    return ls.out;
  }

  std::string dir_;
  ProcessOptions options_;
  ServerHandle server_;
  std::string job_;
};

TEST_F(CliJobCheckTest, EveryFitSettingProblemIsFoundAtItsPlaceBeforeAFit) {
  const std::string text = Edited(
      "bad.toml", {{"gl = [\"1e-9*siemens\", \"1e-7*siemens\", \"log\"]",
                    "gl = [\"1*mV\", \"100*mV\"]\ngx = [1, 2]"},
                   {"g_na = [\"2e-6*siemens\", \"2e-4*siemens\", \"log\"]",
                    "g_na = [\"2e-4*siemens\", \"2e-6*siemens\"]"},
                   {"method = \"DE\"", "method = \"DEX\""},
                   {"t_start = \"5*ms\"", "t_start = \"5*mV\""}});
  const std::string gl = "bad.toml:" + PlaceOf(text, "[\"1*mV\"") +
                         ": error: the bounds of 'gl' have unit V, but 'gl' "
                         "has unit S";
  const std::string gx = "bad.toml:" + PlaceOf(text, "[1, 2]") +
                         ": error: bounds given for 'gx', which is not a "
                         "parameter of the model";
  const std::string g_na =
      "bad.toml:" + PlaceOf(text, "[\"2e-4*siemens\", \"2e-6") +
      ": error: the lower bound of 'g_na'";
  const std::string method = "bad.toml:" + PlaceOf(text, "\"DEX\"", 1) +
                             ": error: unknown optimizer method 'DEX'";
  const std::string t_start = "bad.toml:" + PlaceOf(text, "\"5*mV\"", 1) +
                              ": error: metric.t_start must be a time";
  for (const char* verb : {"check", "fit"}) {
    SCOPED_TRACE(verb);
    RunResult result = Run({verb, "bad.toml"});
    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_THAT(result.err, HasSubstr(gl));
    EXPECT_THAT(result.err, HasSubstr(gx));
    EXPECT_THAT(result.err, HasSubstr(g_na));
    EXPECT_THAT(result.err, HasSubstr(method));
    EXPECT_THAT(result.err, HasSubstr(t_start));
    EXPECT_THAT(result.err, Not(HasSubstr("cellfit: error:")));
    EXPECT_THAT(result.out, Not(HasSubstr("fitter:")));
  }
  // Nothing was created.
  EXPECT_THAT(Fitters(), Not(HasSubstr("hh")));
}

TEST_F(CliJobCheckTest, LogBoundsDtMethodAndUnknownInputsArePlaced) {
  const std::string dt =
      Edited("dt.toml", {{"dt = \"0.01*ms\"", "dt = \"0.01*mV\""}});
  RunResult check = Run({"check", "dt.toml"});
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_THAT(check.err, HasSubstr("dt.toml:" + PlaceOf(dt, "\"0.01*mV\"", 1) +
                                   ": error: dt must be a time"));

  const std::string log =
      Edited("log.toml", {{"gl = [\"1e-9*siemens\", \"1e-7*siemens\", \"log\"]",
                           "gl = [\"0*siemens\", \"1e-7*siemens\", \"log\"]"}});
  check = Run({"check", "log.toml"});
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_THAT(check.err,
              HasSubstr("log.toml:" + PlaceOf(log, "[\"0*siemens\"") +
                        ": error: 'gl' is searched on a log scale"));

  const std::string method = Edited(
      "method.toml", {{"method = \"exponential_euler\"", "method = \"rk9\""}});
  check = Run({"check", "method.toml"});
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_THAT(check.err,
              HasSubstr("method.toml:" + PlaceOf(method, "rk9") + ": error: "))
      << check.err;

  const std::string input = Edited("input.toml", {{"[input.I]", "[input.Ix]"}});
  check = Run({"check", "input.toml"});
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_THAT(check.err,
              HasSubstr("input.toml:" + PlaceOf(input, "[input.Ix]") +
                        ": error: the model has no variable 'Ix'"))
      << check.err;
  EXPECT_THAT(check.err, HasSubstr("'I'"));
}

TEST_F(CliJobCheckTest, BareNumberBoundsAreSiUnitsOfTheParameter) {
  Edited("numbers.toml", {{"gl = [\"1e-9*siemens\", \"1e-7*siemens\", \"log\"]",
                           "gl = [1e-9, 1e-7, \"log\"]"},
                          {"n_rounds = 60", "n_rounds = 1"}});
  RunResult check = Run({"check", "numbers.toml"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  RunResult fit = Run({"fit", "numbers.toml", "--callback", "none"});
  EXPECT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_THAT(fit.out, HasSubstr("completed"));
}

TEST_F(CliJobCheckTest, AnUnknownFitterIsNamedBeforeAnyFitterLine) {
  Edited("job.toml", {});
  RunResult fit = Run({"fit", "job.toml", "--fitter", "fdeadbeef0000"});
  EXPECT_EQ(fit.exit_code, 1);
  EXPECT_THAT(fit.err, HasSubstr("fdeadbeef0000"));
  EXPECT_THAT(fit.out, Not(HasSubstr("fitter:")));
}

}  // namespace
}  // namespace cellfit::testing

#include "client/cli/args.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cellfit::client::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Parsed {
  std::string server;
  int workers = -1;
  bool json = false;
  std::string job;
  std::vector<std::string> ids;
};

ArgParser Make(Parsed& p, bool repeated) {
  ArgParser args;
  args.AddString("server", &p.server, "HOST:PORT", "server");
  args.AddInt("workers", &p.workers, "N", "workers");
  args.AddFlag("json", &p.json, "json");
  if (repeated) {
    args.AddRepeatedPositional("ID", &p.ids, "ids");
  } else {
    args.AddPositional("JOB.toml", &p.job, "job");
  }
  return args;
}

TEST(ArgParserTest, ParsesBothOptionFormsFlagsAndPositionals) {
  Parsed p;
  ArgParser args = Make(p, false);
  ASSERT_TRUE(
      args.Parse({"--server", "h:1", "job.toml", "--workers=3", "--json"})
          .ok());
  EXPECT_EQ(p.server, "h:1");
  EXPECT_EQ(p.workers, 3);
  EXPECT_TRUE(p.json);
  EXPECT_EQ(p.job, "job.toml");
}

TEST(ArgParserTest, RepeatedPositionalsAndDoubleDash) {
  Parsed p;
  ArgParser args = Make(p, true);
  ASSERT_TRUE(args.Parse({"a", "--json=false", "--", "--b"}).ok());
  EXPECT_THAT(p.ids, ElementsAre("a", "--b"));
  EXPECT_FALSE(p.json);
}

TEST(ArgParserTest, ErrorsSayWhatIsWrong) {
  auto error = [](std::vector<std::string> argv, bool repeated = false) {
    Parsed p;
    ArgParser args = Make(p, repeated);
    absl::Status status = args.Parse(argv);
    EXPECT_FALSE(status.ok());
    return std::string(status.message());
  };
  EXPECT_THAT(error({"--nope", "j"}), HasSubstr("unknown option '--nope'"));
  EXPECT_THAT(error({"j", "--server"}), HasSubstr("--server needs a value"));
  EXPECT_THAT(error({"j", "--workers", "x"}),
              HasSubstr("--workers expects an integer, not 'x'"));
  EXPECT_THAT(error({}), HasSubstr("missing JOB.toml"));
  EXPECT_THAT(error({"a", "b"}), HasSubstr("unexpected argument 'b'"));
  EXPECT_THAT(error({}, true), HasSubstr("missing ID"));
}

TEST(ArgParserTest, UsageListsPositionalsAndOptions) {
  Parsed p;
  ArgParser args = Make(p, true);
  EXPECT_EQ(args.PositionalUsage(), "ID...");
  EXPECT_THAT(args.OptionsHelp(), HasSubstr("--server HOST:PORT"));
}

}  // namespace
}  // namespace cellfit::client::cli

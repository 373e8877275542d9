#include "server/auth.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cellfit::server {
namespace {

using ::testing::HasSubstr;

constexpr char kAlice[] = "alice-token-0123456789";
constexpr char kWorker[] = "worker-token-0123456789";
constexpr char kLocal[] = "local-worker-token-0123456789";

std::vector<TokenEntry> Tokens() {
  absl::StatusOr<std::vector<TokenEntry>> tokens = ParseTokenFile(
      absl::StrCat("# users\n", kAlice, " alice\n\n", kWorker, "\t@worker\n"),
      "tokens");
  EXPECT_TRUE(tokens.ok()) << tokens.status();
  return *tokens;
}

TEST(TokenFileTest, ParsesUsersWorkersCommentsAndBlankLines) {
  std::vector<TokenEntry> tokens = Tokens();
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].name, "alice");
  EXPECT_EQ(tokens[0].line, 2);
  EXPECT_EQ(tokens[1].name, "@worker");
  EXPECT_EQ(tokens[1].token, kWorker);
}

TEST(TokenFileTest, ErrorsNameTheFileAndLine) {
  auto bad = [](const std::string& text) {
    absl::StatusOr<std::vector<TokenEntry>> parsed =
        ParseTokenFile(text, "t.txt");
    EXPECT_FALSE(parsed.ok());
    return std::string(parsed.status().message());
  };
  EXPECT_THAT(bad("\nshort alice\n"), HasSubstr("t.txt:2: the token is 5"));
  EXPECT_THAT(bad("0123456789abcdef0123\n"), HasSubstr("t.txt:1: expected"));
  EXPECT_THAT(bad("0123456789abcdef0123 al ice\n"), HasSubstr("found 3 words"));
  EXPECT_THAT(bad("0123456789abcdef0123 @admin\n"),
              HasSubstr("'@admin' is neither @worker"));
  EXPECT_THAT(bad("0123456789abcdef0123 a/b\n"), HasSubstr("'a/b'"));
  EXPECT_THAT(bad("0123456789abcdef0123 a\n0123456789abcdef0123 b\n"),
              HasSubstr("t.txt:2: this token appears on an earlier line"));
}

TEST(AuthenticatorTest, WithTokensEveryCallNeedsAKnownToken) {
  Authenticator auth(Tokens(), kLocal);
  EXPECT_TRUE(auth.enabled());
  EXPECT_EQ(auth.Authenticate(std::nullopt).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(
      auth.Authenticate("Bearer not-a-known-token-at-all").status().code(),
      absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(auth.Authenticate(kAlice).status().code(),
            absl::StatusCode::kUnauthenticated);  // no scheme

  absl::StatusOr<Principal> alice =
      auth.Authenticate(absl::StrCat("bearer ", kAlice));
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(alice->user, "alice");
  EXPECT_TRUE(alice->may_use_fitting);
  EXPECT_FALSE(alice->may_connect_worker);

  absl::StatusOr<Principal> worker =
      auth.Authenticate(absl::StrCat("Bearer ", kWorker));
  ASSERT_TRUE(worker.ok());
  EXPECT_FALSE(worker->may_use_fitting);
  EXPECT_TRUE(worker->may_connect_worker);
  EXPECT_FALSE(worker->local_worker);

  absl::StatusOr<Principal> local =
      auth.Authenticate(absl::StrCat("Bearer ", kLocal));
  ASSERT_TRUE(local.ok());
  EXPECT_TRUE(local->local_worker);
  EXPECT_TRUE(local->may_connect_worker);
  EXPECT_FALSE(local->may_use_fitting);
}

TEST(AuthenticatorTest, WithoutTokensEveryoneIsTheLocalUser) {
  Authenticator auth(std::nullopt, kLocal);
  EXPECT_FALSE(auth.enabled());
  absl::StatusOr<Principal> anyone = auth.Authenticate(std::nullopt);
  ASSERT_TRUE(anyone.ok());
  EXPECT_EQ(anyone->user, kAnonymousUser);
  EXPECT_TRUE(anyone->may_use_fitting);
  EXPECT_TRUE(anyone->may_connect_worker);
  EXPECT_FALSE(anyone->local_worker);
  // The server's own workers are still told apart.
  EXPECT_TRUE(auth.Authenticate(absl::StrCat("Bearer ", kLocal))->local_worker);
}

TEST(AuthenticatorTest, GeneratedTokensAreLongAndDistinct) {
  std::string a = GenerateToken();
  std::string b = GenerateToken();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace cellfit::server

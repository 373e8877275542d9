#include "client/cli/context.h"

#include <cstdlib>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cellfit::client::cli {

Context::Context(CommonOptions options, std::ostream& out)
    : options_(std::move(options)), out_(out) {}

Context::~Context() { Finish().IgnoreError(); }

absl::StatusOr<std::string> Context::Token() const {
  if (!options_.token_file.empty()) {
    std::ifstream in(options_.token_file);
    if (!in) {
      return absl::NotFoundError(absl::StrCat("cannot read the token file '",
                                              options_.token_file, "'"));
    }
    std::string line;
    while (std::getline(in, line)) {
      absl::string_view text = absl::StripAsciiWhitespace(line);
      if (text.empty() || text.front() == '#') continue;
      std::vector<absl::string_view> words =
          absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
      return std::string(words.front());
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "the token file '", options_.token_file, "' holds no token"));
  }
  if (const char* token = std::getenv("CELLFIT_TOKEN"); token != nullptr) {
    return std::string(token);
  }
  return std::string();
}

absl::StatusOr<Client*> Context::client() {
  if (client_ != nullptr) return client_.get();
  ClientOptions client_options;
  client_options.call_timeout = absl::Seconds(options_.timeout_seconds);
  if (!options_.server.empty()) {
    client_options.address = options_.server;
    source_ = "--server";
  } else if (const char* env = std::getenv("CELLFIT_SERVER");
             env != nullptr && *env != '\0') {
    client_options.address = env;
    source_ = "CELLFIT_SERVER";
  }
  if (!client_options.address.empty()) {
    absl::StatusOr<std::string> token = Token();
    if (!token.ok()) return token.status();
    client_options.token = *token;
  } else {
    source_ = "embedded";
    EmbeddedServerOptions embedded;
    embedded.database = options_.db;
    embedded.local_workers = options_.workers;
    embedded.log_level = options_.verbose ? "info" : "warning";
    absl::StatusOr<std::unique_ptr<EmbeddedServer>> started =
        EmbeddedServer::Start(embedded);
    if (!started.ok()) return started.status();
    embedded_ = *std::move(started);
    client_options.address = embedded_->address();
    client_options.token = embedded_->token();
  }
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(client_options);
  if (!client.ok()) return client.status();
  client_ = *std::move(client);
  return client_.get();
}

absl::Status Context::Finish() {
  client_.reset();
  if (embedded_ == nullptr) return absl::OkStatus();
  absl::Status stopped = embedded_->Stop();
  embedded_.reset();
  return stopped;
}

}  // namespace cellfit::client::cli

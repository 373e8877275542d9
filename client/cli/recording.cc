#include "client/cli/recording.h"

#include <cmath>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/format.h"
#include "client/client.h"

namespace cellfit::client::cli {
namespace {

// A generous ceiling (2^28 values, 2 GiB) so that a broken stream cannot
// make the client allocate without bound.
constexpr uint64_t kMaxValues = uint64_t{1} << 28;

}  // namespace

absl::Status Recording::Add(const cellfit::v1::GenerateChunk& chunk) {
  RecordedVariable* variable = nullptr;
  for (RecordedVariable& existing : variables_) {
    if (existing.name == chunk.variable()) variable = &existing;
  }
  const bool spikes = chunk.has_spikes() || chunk.variable() == "spikes" ||
                      chunk.target_of() == "spikes";
  if (variable == nullptr) {
    if (static_cast<uint64_t>(chunk.n_traces()) * chunk.n_steps() >
        kMaxValues) {
      return absl::InternalError(absl::StrCat(
          "the server announced ", chunk.n_traces(), " x ", chunk.n_steps(),
          " values for ", chunk.variable(), ", more than this client takes"));
    }
    variable = &variables_.emplace_back();
    variable->name = chunk.variable();
    variable->target_of = chunk.target_of();
    variable->exponents = ExponentsOf(chunk.dimension());
    variable->n_traces = chunk.n_traces();
    variable->n_steps = chunk.n_steps();
    variable->dt = chunk.dt();
    variable->spikes = spikes;
    if (spikes) {
      variable->trains.resize(chunk.n_traces());
    } else {
      variable->values.assign(
          static_cast<size_t>(chunk.n_traces()) * chunk.n_steps(), NAN);
    }
  }
  if (chunk.trace() >= variable->n_traces) {
    return absl::InternalError(absl::StrCat("chunk of ", chunk.variable(),
                                            " for trace ", chunk.trace(),
                                            " of ", variable->n_traces));
  }
  if (variable->spikes) {
    auto& train = variable->trains[chunk.trace()];
    train.insert(train.end(), chunk.spikes().times().begin(),
                 chunk.spikes().times().end());
    return absl::OkStatus();
  }
  if (static_cast<uint64_t>(chunk.step_offset()) + chunk.values_size() >
      variable->n_steps) {
    return absl::InternalError(absl::StrCat(
        "chunk of ", chunk.variable(), " runs past step ", variable->n_steps));
  }
  std::copy(chunk.values().begin(), chunk.values().end(),
            variable->values.begin() +
                static_cast<size_t>(chunk.trace()) * variable->n_steps +
                chunk.step_offset());
  return absl::OkStatus();
}

const RecordedVariable* Recording::Find(const std::string& name) const {
  for (const RecordedVariable& variable : variables_) {
    if (variable.name == name) return &variable;
  }
  return nullptr;
}

absl::StatusOr<Recording> ReadRecording(
    const std::function<absl::Status(
        const Client::OnMessage<cellfit::v1::GenerateChunk>&)>& call) {
  Recording recording;
  absl::Status status =
      call([&recording](const cellfit::v1::GenerateChunk& chunk) {
        return recording.Add(chunk);
      });
  if (!status.ok()) return status;
  return recording;
}

std::filesystem::path PathFor(const std::filesystem::path& out,
                              const std::string& variable, bool only_one) {
  if (only_one) return out;
  std::filesystem::path path = out;
  path.replace_filename(absl::StrCat(out.stem().string(), "_", variable,
                                     out.extension().string()));
  return path;
}

absl::Status WriteTraceCsv(const RecordedVariable& variable,
                           const std::filesystem::path& path,
                           const DisplayUnit& unit) {
  std::ofstream out(path);
  if (!out) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot write '", path.string(), "'"));
  }
  std::string line;
  for (uint32_t step = 0; step < variable.n_steps; ++step) {
    absl::StrAppend(&line, ",", step);
  }
  out << line << "\n";
  for (uint32_t trace = 0; trace < variable.n_traces; ++trace) {
    line = absl::StrCat(trace);
    const double* row = variable.row(trace);
    for (uint32_t step = 0; step < variable.n_steps; ++step) {
      absl::StrAppend(&line, ",", ExactNumber(row[step] / unit.scale));
    }
    out << line << "\n";
  }
  out.flush();
  if (!out) {
    return absl::InternalError(
        absl::StrCat("writing '", path.string(), "' failed"));
  }
  return absl::OkStatus();
}

absl::Status WriteSpikeCsv(const RecordedVariable& variable,
                           const std::filesystem::path& path) {
  std::ofstream out(path);
  if (!out) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot write '", path.string(), "'"));
  }
  out << "trace,time\n";
  for (size_t trace = 0; trace < variable.trains.size(); ++trace) {
    for (double time : variable.trains[trace]) {
      out << trace << "," << ExactNumber(time) << "\n";
    }
  }
  out.flush();
  if (!out) {
    return absl::InternalError(
        absl::StrCat("writing '", path.string(), "' failed"));
  }
  return absl::OkStatus();
}

}  // namespace cellfit::client::cli

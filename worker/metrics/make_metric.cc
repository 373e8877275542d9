#include "worker/metrics/make_metric.h"

#include <string>
#include <type_traits>

namespace cellfit::metrics {

absl::StatusOr<std::unique_ptr<Metric>> MakeMetric(const MetricConfig& config,
                                                   const TargetData& targets) {
  return std::visit(
      [&targets](const auto& c) -> absl::StatusOr<std::unique_ptr<Metric>> {
        using Config = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<Config, GammaFactorConfig>) {
          const auto* spikes = std::get_if<TargetSpikes>(&targets);
          if (spikes == nullptr) {
            return absl::InvalidArgumentError(
                "GammaFactor compares spike trains, but this output's targets "
                "are traces; use MSE or FeatureMetric for traces, or fit the "
                "output \"spikes\"");
          }
          return MakeGammaFactorMetric(c, *spikes);
        } else {
          const auto* traces = std::get_if<TargetTraces>(&targets);
          constexpr const char* kName =
              std::is_same_v<Config, MseConfig> ? "MSE" : "FeatureMetric";
          if (traces == nullptr) {
            return absl::InvalidArgumentError(
                std::string(kName) +
                " compares traces, but this output's targets are spike "
                "times; use GammaFactor for spikes");
          }
          if constexpr (std::is_same_v<Config, MseConfig>) {
            return MakeMseMetric(c, *traces);
          } else {
            return MakeFeatureMetric(c, *traces);
          }
        }
      },
      config);
}

}  // namespace cellfit::metrics

// The shared headers as text, embedded in every generated source (made at
// build time from worker/runtime/vector_math.h, worker/runtime/random.h and
// worker/standalone/abi.h by embed_sources.cmake).
#ifndef CELLFIT_WORKER_STANDALONE_EMBEDDED_SOURCES_H_
#define CELLFIT_WORKER_STANDALONE_EMBEDDED_SOURCES_H_

namespace cellfit::standalone {

extern const char kEmbeddedAbi[];
extern const char kEmbeddedVectorMath[];
extern const char kEmbeddedRandom[];

}  // namespace cellfit::standalone

#endif  // CELLFIT_WORKER_STANDALONE_EMBEDDED_SOURCES_H_

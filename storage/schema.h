// cellfit's schema, as the list of migrations that builds it.
#ifndef CELLFIT_STORAGE_SCHEMA_H_
#define CELLFIT_STORAGE_SCHEMA_H_

#include "absl/types/span.h"
#include "storage/migrations.h"

namespace cellfit::storage {

// Every migration, oldest first. Append only: a released migration is never
// edited, since databases in the field have already run it.
absl::Span<const Migration> SchemaMigrations();

// The schema version this build writes (the last migration's).
int LatestSchemaVersion();

}  // namespace cellfit::storage

#endif  // CELLFIT_STORAGE_SCHEMA_H_

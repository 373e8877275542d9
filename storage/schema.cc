#include "storage/schema.h"

#include <array>

namespace cellfit::storage {
namespace {

// Conventions of the schema:
// - STRICT tables: a value of the wrong type is an error, not a silent
//   conversion.
// - Times are INTEGER microseconds since the Unix epoch (columns *_us).
// - Errors (error, best_error) are typed ANY and checked to be REAL: a column
//   declared REAL stores whole numbers as integers on disk and so loses the
//   sign of -0.0; ANY keeps the double as bound. NULL stands for NaN, which
//   SQLite cannot store.
// - Vectors of doubles are BLOBs of little-endian binary64 (double_blob.h);
//   lists of names are JSON arrays of strings (name_list.h).
// - Everything of a fitter hangs off it with ON DELETE CASCADE; deleting the
//   fitter row deletes its spec, runs, rounds, evaluations and checkpoints.
constexpr std::string_view kInitialSchema = R"sql(
CREATE TABLE fitters (
  id              TEXT PRIMARY KEY NOT NULL CHECK (length(id) > 0),
  owner           TEXT NOT NULL,
  name            TEXT NOT NULL,
  kind            TEXT NOT NULL
                  CHECK (kind IN ('trace', 'spike', 'online_trace')),
  state           TEXT NOT NULL
                  CHECK (state IN ('idle', 'running', 'cancelled', 'failed')),
  created_us      INTEGER NOT NULL,
  updated_us      INTEGER NOT NULL,
  n_samples       INTEGER NOT NULL CHECK (n_samples > 0),
  n_traces        INTEGER NOT NULL CHECK (n_traces >= 0),
  n_steps         INTEGER NOT NULL CHECK (n_steps >= 0),
  method          TEXT NOT NULL,
  parameter_names TEXT NOT NULL
                  CHECK (json_valid(parameter_names)
                         AND json_type(parameter_names) = 'array'),
  error           TEXT NOT NULL
) STRICT;

-- ListFitters(owner), oldest first.
CREATE INDEX fitters_by_owner ON fitters (owner, created_us, id);
-- Fitters to resume after a restart: few rows, so a partial index is tiny.
CREATE INDEX fitters_running ON fitters (id) WHERE state = 'running';

-- The spec (model, inputs and recorded outputs: up to megabytes) lives apart
-- from the fitter row, so that listing fitters never reads it and columns
-- added to fitters later are not stored behind a large blob.
CREATE TABLE fitter_specs (
  fitter_id TEXT PRIMARY KEY NOT NULL
            REFERENCES fitters (id) ON DELETE CASCADE,
  spec      BLOB NOT NULL
) STRICT;

-- A run starts when a fitter's optimizer is created and at every restart.
-- AUTOINCREMENT: a run id is never reused, so an id held by a thread whose
-- fitter was deleted can never address another fitter's run.
CREATE TABLE runs (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  fitter_id       TEXT NOT NULL REFERENCES fitters (id) ON DELETE CASCADE,
  run_index       INTEGER NOT NULL CHECK (run_index >= 0),
  started_us      INTEGER NOT NULL,
  optimizer       TEXT NOT NULL,
  -- The order of the values in this run's evaluation blobs.
  parameter_names TEXT NOT NULL
                  CHECK (json_valid(parameter_names)
                         AND json_type(parameter_names) = 'array'),
  output_names    TEXT NOT NULL
                  CHECK (json_valid(output_names)
                         AND json_type(output_names) = 'array'),
  start_iteration INTEGER NOT NULL,
  -- Progress, updated in the transaction that records each round.
  rounds_done     INTEGER NOT NULL DEFAULT 0 CHECK (rounds_done >= 0),
  evaluations     INTEGER NOT NULL DEFAULT 0 CHECK (evaluations >= 0),
  best_round      INTEGER,
  best_error      ANY CHECK (best_error IS NULL OR typeof(best_error) = 'real'),
  best_params     BLOB CHECK (best_params IS NULL OR length(best_params) % 8 = 0),
  -- Serialized optimizer, metric and bounds specs.
  config          BLOB NOT NULL,
  UNIQUE (fitter_id, run_index)
) STRICT;

-- A completed round. Rounds of a run are numbered 0, 1, 2, ... without gaps.
CREATE TABLE rounds (
  run_id       INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  round        INTEGER NOT NULL CHECK (round >= 0),
  iteration    INTEGER NOT NULL,
  seconds      REAL NOT NULL,
  completed_us INTEGER NOT NULL,
  -- The best of the run as it stood after this round (for Watch replay).
  best_error   ANY CHECK (best_error IS NULL OR typeof(best_error) = 'real'),
  best_params  BLOB CHECK (best_params IS NULL OR length(best_params) % 8 = 0),
  PRIMARY KEY (run_id, round)
) STRICT, WITHOUT ROWID;

-- One row per evaluated parameter set. WITHOUT ROWID: the table is its
-- primary-key b-tree, so a run's rows lie together in (round, sample) order,
-- reading them is one range scan, and no second index repeats the key. The
-- primary key also makes recording a candidate twice impossible.
CREATE TABLE evaluations (
  run_id     INTEGER NOT NULL,
  round      INTEGER NOT NULL,
  sample     INTEGER NOT NULL CHECK (sample >= 0),
  error      ANY CHECK (error IS NULL OR typeof(error) = 'real'),
  params     BLOB NOT NULL CHECK (length(params) % 8 = 0),
  objectives BLOB NOT NULL CHECK (length(objectives) % 8 = 0),
  PRIMARY KEY (run_id, round, sample),
  FOREIGN KEY (run_id, round) REFERENCES rounds (run_id, round)
    ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- Optimizer state after a round, written with the round. A rowid table: the
-- state can be large (CMA-ES keeps a covariance matrix), and WITHOUT ROWID
-- suits small rows only.
CREATE TABLE checkpoints (
  id     INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL,
  round  INTEGER NOT NULL,
  state  BLOB NOT NULL,
  UNIQUE (run_id, round),
  FOREIGN KEY (run_id, round) REFERENCES rounds (run_id, round)
    ON DELETE CASCADE
) STRICT;
)sql";

constexpr std::array kMigrations = {
    Migration{1,
              "initial schema: fitters, runs, rounds, evaluations, checkpoints",
              kInitialSchema},
};

}  // namespace

absl::Span<const Migration> SchemaMigrations() { return kMigrations; }

int LatestSchemaVersion() { return kMigrations.back().version; }

}  // namespace cellfit::storage

-- Imv PostgreSQL schema, version 2: the plant recording (Recording:Provider=PostgreSql, the default when grain state
-- is in PostgreSQL). Every silo of a cluster appends to the same tables, so a twin's history and a replay see every
-- twin whichever silo held it. Written by Imv.Persistence.PostgreSql.Recording.PostgreSqlTwinRecorder; never edit an
-- applied file: add the next version instead.

-- One row per entry: the readings a twin accepted at one instant, or one command transition. The data column holds
-- the entry in the recording's binary form (Imv.Persistence.Recording.RecordingCodec), the same bytes as in the SQLite
-- recording. Positions come from the identity in insertion order: a twin's entries (written by the silo holding it)
-- are in the order the twin accepted them.
CREATE TABLE imv_recording
(
    position bigint   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    twin     text     NOT NULL,
    at       bigint   NOT NULL,   -- when the twin accepted it: .NET ticks (100 ns since 0001-01-01), UTC
    kind     smallint NOT NULL,   -- 0 readings, 1 a command transition
    data     bytea    NOT NULL
);

-- A twin's entries by time: time travel reads newest first from an instant, a history reads a range.
CREATE INDEX imv_recording_twin_at ON imv_recording (twin, at, position);

-- A replay reads a time range of every twin, and retention deletes by age: rows arrive about in time order, so a block
-- range index is enough (a few pages, nothing to maintain per row).
CREATE INDEX imv_recording_at ON imv_recording USING brin (at);

-- Per twin and minute (by when the twin accepted the readings), every tag's count, min, max, sum and last value
-- (Imv.Persistence.Recording.MinuteRollup): a day's history reads 1,440 rows, not 86,400 entries. A minute may be in
-- several rows (a twin that moved to another silo, a restart): readers merge them.
CREATE TABLE imv_recording_minutes
(
    id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    twin   text   NOT NULL,
    minute bigint NOT NULL,       -- minutes since 0001-01-01, UTC
    data   bytea  NOT NULL
);

CREATE INDEX imv_recording_minutes_twin ON imv_recording_minutes (twin, minute);
CREATE INDEX imv_recording_minutes_minute ON imv_recording_minutes USING brin (minute);

-- One row per commit of a silo's writer: the bytes it appended (entries, twin ids and an estimate of row and index
-- overhead) and its last position. Retention by size (Recording:MaxSizeMb) counts these, not the table's pages:
-- PostgreSQL keeps deleted rows' space for reuse, so the table's size on disk never falls back under a limit.
CREATE TABLE imv_recording_commits
(
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    last_position bigint NOT NULL,
    bytes         bigint NOT NULL
);

CREATE INDEX imv_recording_commits_position ON imv_recording_commits (last_position);

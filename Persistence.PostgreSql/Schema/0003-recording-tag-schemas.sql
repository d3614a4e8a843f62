-- Imv PostgreSQL schema, version 3: the plant recording's tag schemas. Since this version a readings entry names its
-- tags by index into a tag schema (entry version 3, Imv.Persistence.Recording.RecordingCodec) instead of spelling
-- every name: a schema is a list of tag names, stored once, keyed by the first 128 bits of the SHA-256 of its bytes,
-- so every silo of a cluster that makes the same list stores the same row (INSERT ... ON CONFLICT DO NOTHING). Rows
-- are never deleted by retention: a schema is a few hundred bytes, shared by the twins that report the same tags.
-- Written by Imv.Persistence.PostgreSql.Recording.PostgreSqlRecordingStore; never edit an applied file: add the next
-- version instead.
CREATE TABLE imv_recording_schemas
(
    id    bytea PRIMARY KEY,
    names bytea NOT NULL
);

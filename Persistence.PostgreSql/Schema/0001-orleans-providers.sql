-- Imv PostgreSQL schema, version 1: the tables behind Orleans' ADO.NET clustering, grain persistence and
-- reminder providers (Microsoft.Orleans.Clustering/Persistence/Reminders.AdoNet 10.4.2, invariant "Npgsql"),
-- and the OrleansQuery rows those providers read at start. Applied by Imv.Persistence.PostgreSql.PostgreSqlSchema
-- inside one transaction; never edit an applied file: add the next version instead.
--
-- What the providers expect (from their source): they run "SELECT QueryKey, QueryText FROM OrleansQuery" and then
-- execute each text with named parameters (@DeploymentId, @GrainIdN0, ...). Result columns are read by name
-- (Npgsql matches names case-insensitively, so unquoted aliases are enough). Tables and column names are ours.

-- The queries the providers execute, keyed by the names they look up.
CREATE TABLE OrleansQuery
(
    QueryKey  varchar(64) PRIMARY KEY,
    QueryText text NOT NULL
);

------------------------------------------------------------------------------------------------------------------
-- Membership (clustering). One version row per cluster id: every change of a member row bumps it, conditionally
-- on the version the silo read (Orleans' optimistic concurrency on the whole table).
CREATE TABLE imv_cluster_version
(
    cluster_id  varchar(150) PRIMARY KEY,
    version     integer      NOT NULL DEFAULT 0,
    changed_at  timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE imv_cluster_member
(
    cluster_id      varchar(150) NOT NULL REFERENCES imv_cluster_version (cluster_id) ON DELETE CASCADE,
    address         varchar(64)  NOT NULL,
    port            integer      NOT NULL,
    generation      integer      NOT NULL,
    silo_name       varchar(150) NOT NULL,
    host_name       varchar(150) NOT NULL,
    status          integer      NOT NULL,
    proxy_port      integer      NOT NULL DEFAULT 0,
    suspect_times   text         NULL,
    start_time      timestamptz  NOT NULL,
    i_am_alive_time timestamptz  NOT NULL,
    PRIMARY KEY (cluster_id, address, port, generation)
);

-- Ours, not Orleans': the service id each cluster id runs, so that a silo started with another ClusterId or
-- ServiceId than its peers is refused instead of forming a second cluster over the same state.
CREATE TABLE imv_cluster_identity
(
    cluster_id  varchar(150) PRIMARY KEY,
    service_id  varchar(150) NOT NULL,
    created_at  timestamptz  NOT NULL DEFAULT now()
);

------------------------------------------------------------------------------------------------------------------
-- Grain state. The provider passes the state's name (as "grain type"), the grain key split into two 64-bit halves
-- and a string part (a string-keyed grain: halves 0, the key in the string), and the state version it last read
-- (null: it believes no row exists). Versions start at 1 and grow by one on every write and clear.
CREATE TABLE imv_grain_state
(
    service_id    varchar(150) NOT NULL,
    state_name    varchar(512) NOT NULL,
    key_n0        bigint       NOT NULL,
    key_n1        bigint       NOT NULL,
    key_string    text         NOT NULL DEFAULT '',
    payload       bytea        NULL,
    version       integer      NOT NULL,
    modified_at   timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (service_id, state_name, key_n0, key_n1, key_string)
);

------------------------------------------------------------------------------------------------------------------
-- Reminders. grain_hash is the grain's uniform hash as a signed 32-bit integer: silos read the reminders of their
-- ring range by it.
CREATE TABLE imv_reminder
(
    service_id     varchar(150) NOT NULL,
    grain_id       varchar(512) NOT NULL,
    reminder_name  varchar(150) NOT NULL,
    start_time     timestamptz  NOT NULL,
    period_ms      bigint       NOT NULL,
    grain_hash     integer      NOT NULL,
    version        integer      NOT NULL,
    PRIMARY KEY (service_id, grain_id, reminder_name)
);
CREATE INDEX imv_reminder_by_hash ON imv_reminder (service_id, grain_hash);

------------------------------------------------------------------------------------------------------------------
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- Clustering ----------------------------------------------------------------------------------------------------
-- Creates the cluster's version row once; true when this call created it.
('InsertMembershipVersionKey', '
WITH created AS (
    INSERT INTO imv_cluster_version (cluster_id) VALUES (@DeploymentId)
    ON CONFLICT (cluster_id) DO NOTHING
    RETURNING 1)
SELECT count(*) > 0 FROM created'),

-- A silo joins: its row is inserted only if the table version is still the one it read (bumped first, so two
-- silos racing on the same version cannot both succeed). True when inserted.
('InsertMembershipKey', '
WITH bumped AS (
    UPDATE imv_cluster_version SET version = version + 1, changed_at = now()
    WHERE cluster_id = @DeploymentId AND version = @Version
    RETURNING cluster_id),
inserted AS (
    INSERT INTO imv_cluster_member (cluster_id, address, port, generation, silo_name, host_name, status, proxy_port, start_time, i_am_alive_time)
    SELECT cluster_id, @Address, @Port, @Generation, @SiloName, @HostName, @Status, coalesce(@ProxyPort, 0), @StartTime, @IAmAliveTime
    FROM bumped
    ON CONFLICT DO NOTHING
    RETURNING 1)
SELECT count(*) = 1 FROM inserted'),

-- A member''s status or suspicions change, under the same version condition. True when updated.
('UpdateMembershipKey', '
WITH bumped AS (
    UPDATE imv_cluster_version SET version = version + 1, changed_at = now()
    WHERE cluster_id = @DeploymentId AND version = @Version
    RETURNING cluster_id),
updated AS (
    UPDATE imv_cluster_member AS m
    SET status = @Status, suspect_times = @SuspectTimes, i_am_alive_time = @IAmAliveTime
    FROM bumped
    WHERE m.cluster_id = bumped.cluster_id AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
    RETURNING 1)
SELECT count(*) = 1 FROM updated'),

-- The liveness heartbeat: not versioned (Orleans does not check its result).
('UpdateIAmAlivetimeKey', '
UPDATE imv_cluster_member SET i_am_alive_time = @IAmAliveTime
WHERE cluster_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation'),

-- One member with the table version; the version row comes back alone (member columns null) when the member is unknown.
('MembershipReadRowKey', '
SELECT v.version AS Version, m.address AS Address, m.port AS Port, m.generation AS Generation,
       m.silo_name AS SiloName, m.host_name AS HostName, m.status AS Status, m.proxy_port AS ProxyPort,
       m.suspect_times AS SuspectTimes, m.start_time AS StartTime, m.i_am_alive_time AS IAmAliveTime
FROM imv_cluster_version AS v
LEFT JOIN imv_cluster_member AS m
       ON m.cluster_id = v.cluster_id AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
WHERE v.cluster_id = @DeploymentId'),

-- Every member with the table version (the version row alone when the cluster has no member yet).
('MembershipReadAllKey', '
SELECT v.version AS Version, m.address AS Address, m.port AS Port, m.generation AS Generation,
       m.silo_name AS SiloName, m.host_name AS HostName, m.status AS Status, m.proxy_port AS ProxyPort,
       m.suspect_times AS SuspectTimes, m.start_time AS StartTime, m.i_am_alive_time AS IAmAliveTime
FROM imv_cluster_version AS v
LEFT JOIN imv_cluster_member AS m ON m.cluster_id = v.cluster_id
WHERE v.cluster_id = @DeploymentId'),

-- The gateways clients may connect to: active members with a gateway port.
('GatewaysQueryKey', '
SELECT address AS Address, proxy_port AS ProxyPort, generation AS Generation
FROM imv_cluster_member
WHERE cluster_id = @DeploymentId AND status = @Status AND proxy_port > 0'),

-- Forgets a cluster entirely (its members go with the version row).
('DeleteMembershipTableEntriesKey', '
DELETE FROM imv_cluster_version WHERE cluster_id = @DeploymentId'),

-- Removes members that stopped heartbeating before the given time and are not active (3 = SiloStatus.Active).
('CleanupDefunctSiloEntriesKey', '
DELETE FROM imv_cluster_member
WHERE cluster_id = @DeploymentId AND i_am_alive_time < @IAmAliveTime AND status <> 3'),

-- Grain persistence ---------------------------------------------------------------------------------------------
('ReadFromStorageKey', '
SELECT payload AS PayloadBinary, version AS Version
FROM imv_grain_state
WHERE service_id = @ServiceId AND state_name = @GrainTypeString
  AND key_n0 = @GrainIdN0 AND key_n1 = @GrainIdN1 AND key_string = coalesce(@GrainIdExtensionString, '''')'),

-- Writes when the stored version is the one the grain read (or inserts when it read none); returns the new
-- version, or no row on a version conflict (the provider then raises InconsistentStateException).
('WriteToStorageKey', '
WITH updated AS (
    UPDATE imv_grain_state
    SET payload = @PayloadBinary, version = version + 1, modified_at = now()
    WHERE service_id = @ServiceId AND state_name = @GrainTypeString
      AND key_n0 = @GrainIdN0 AND key_n1 = @GrainIdN1 AND key_string = coalesce(@GrainIdExtensionString, '''')
      AND @GrainStateVersion IS NOT NULL AND version = @GrainStateVersion
    RETURNING version),
inserted AS (
    INSERT INTO imv_grain_state (service_id, state_name, key_n0, key_n1, key_string, payload, version)
    SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, coalesce(@GrainIdExtensionString, ''''), @PayloadBinary, 1
    WHERE @GrainStateVersion IS NULL
    ON CONFLICT DO NOTHING
    RETURNING version)
SELECT version AS NewGrainStateVersion FROM updated
UNION ALL
SELECT version FROM inserted'),

-- Clears the payload, keeping the row and its growing version (so a stale activation still conflicts).
('ClearStorageKey', '
UPDATE imv_grain_state
SET payload = NULL, version = version + 1, modified_at = now()
WHERE service_id = @ServiceId AND state_name = @GrainTypeString
  AND key_n0 = @GrainIdN0 AND key_n1 = @GrainIdN1 AND key_string = coalesce(@GrainIdExtensionString, '''')
  AND version = @GrainStateVersion
RETURNING version'),

-- Deletes the row (the provider''s DeleteStateOnClear); returns the deleted version plus one, as the provider expects.
('DeleteStorageKey', '
DELETE FROM imv_grain_state
WHERE service_id = @ServiceId AND state_name = @GrainTypeString
  AND key_n0 = @GrainIdN0 AND key_n1 = @GrainIdN1 AND key_string = coalesce(@GrainIdExtensionString, '''')
  AND version = @GrainStateVersion
RETURNING version + 1'),

-- Reminders -----------------------------------------------------------------------------------------------------
('ReadReminderRowsKey', '
SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime, period_ms AS Period, version AS Version
FROM imv_reminder
WHERE service_id = @ServiceId AND grain_id = @GrainId'),

('ReadReminderRowKey', '
SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime, period_ms AS Period, version AS Version
FROM imv_reminder
WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName'),

-- The ring range (BeginHash, EndHash] when it does not wrap around.
('ReadRangeRows1Key', '
SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime, period_ms AS Period, version AS Version
FROM imv_reminder
WHERE service_id = @ServiceId AND grain_hash > @BeginHash AND grain_hash <= @EndHash'),

-- The ring range when it wraps around (BeginHash >= EndHash as signed integers).
('ReadRangeRows2Key', '
SELECT grain_id AS GrainId, reminder_name AS ReminderName, start_time AS StartTime, period_ms AS Period, version AS Version
FROM imv_reminder
WHERE service_id = @ServiceId AND (grain_hash > @BeginHash OR grain_hash <= @EndHash)'),

-- Inserts or replaces a reminder; returns its new version (the reminder''s ETag).
('UpsertReminderRowKey', '
INSERT INTO imv_reminder (service_id, grain_id, reminder_name, start_time, period_ms, grain_hash, version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
SET start_time = excluded.start_time, period_ms = excluded.period_ms, grain_hash = excluded.grain_hash,
    version = imv_reminder.version + 1
RETURNING version AS Version'),

-- Deletes a reminder if its version is the ETag given; true when deleted.
('DeleteReminderRowKey', '
WITH deleted AS (
    DELETE FROM imv_reminder
    WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName AND version = @Version
    RETURNING 1)
SELECT count(*) > 0 FROM deleted'),

('DeleteReminderRowsKey', '
DELETE FROM imv_reminder WHERE service_id = @ServiceId');

-- Orleans grain state (ADO.NET grain storage provider, Orleans 10.x), written for this project.
-- A grain is identified by service, grain type and key: N0/N1 hold a Guid or integer key, GrainIdExtensionString
-- a string key or a key extension (NULL when absent). The two hashes come from the provider and make lookups cheap.
-- Version is the ETag: NULL in a request means "the grain believes no row exists".
CREATE TABLE OrleansStorage (
    GrainIdHash            integer      NOT NULL,
    GrainIdN0              bigint       NOT NULL,
    GrainIdN1              bigint       NOT NULL,
    GrainTypeHash          integer      NOT NULL,
    GrainTypeString        text         NOT NULL,
    GrainIdExtensionString text         NULL,
    ServiceId              varchar(150) NOT NULL,
    PayloadBinary          bytea        NULL,
    ModifiedOn             timestamptz  NOT NULL DEFAULT now(),
    Version                integer      NOT NULL
);

-- One row per grain; NULLS NOT DISTINCT (PostgreSQL 15+) so grains without a key extension are unique too,
-- which lets a first write use ON CONFLICT to lose cleanly against a concurrent first write.
CREATE UNIQUE INDEX UX_OrleansStorage_Grain ON OrleansStorage
    (GrainIdHash, GrainTypeHash, GrainIdN0, GrainIdN1, ServiceId, GrainTypeString, GrainIdExtensionString)
    NULLS NOT DISTINCT;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- Zero or one row: the payload (NULL after a clear) and its version.
('ReadFromStorageKey', $q$
SELECT PayloadBinary, Version
  FROM OrleansStorage
 WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash
   AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
   AND ServiceId = @ServiceId AND GrainTypeString = @GrainTypeString
   AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString;
$q$),

-- Always one row, NewGrainStateVersion: the new version, or NULL when the caller's version was stale
-- (the provider turns NULL into an InconsistentStateException). First write inserts version 1.
('WriteToStorageKey', $q$
WITH updated AS (
    UPDATE OrleansStorage
       SET PayloadBinary = @PayloadBinary, Version = Version + 1, ModifiedOn = now()
     WHERE @GrainStateVersion IS NOT NULL AND Version = @GrainStateVersion
       AND GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash
       AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
       AND ServiceId = @ServiceId AND GrainTypeString = @GrainTypeString
       AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
    RETURNING Version),
inserted AS (
    INSERT INTO OrleansStorage (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString,
                                GrainIdExtensionString, ServiceId, PayloadBinary, Version)
    SELECT @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
           @GrainIdExtensionString, @ServiceId, @PayloadBinary, 1
     WHERE @GrainStateVersion IS NULL
    ON CONFLICT DO NOTHING
    RETURNING Version)
SELECT (SELECT Version FROM updated UNION ALL SELECT Version FROM inserted LIMIT 1) AS NewGrainStateVersion;
$q$),

-- Clear keeps the row (payload NULL) and bumps the version, so a stale writer still conflicts.
-- Returns the new version, or no row when the caller's version was stale.
('ClearStorageKey', $q$
UPDATE OrleansStorage
   SET PayloadBinary = NULL, Version = Version + 1, ModifiedOn = now()
 WHERE Version = @GrainStateVersion
   AND GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash
   AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
   AND ServiceId = @ServiceId AND GrainTypeString = @GrainTypeString
   AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
RETURNING Version;
$q$),

-- Used when DeleteStateOnClear is set: removes the row. The returned value only has to differ from the
-- caller's version for the provider to accept it; no row means the caller's version was stale.
('DeleteStorageKey', $q$
DELETE FROM OrleansStorage
 WHERE Version = @GrainStateVersion
   AND GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash
   AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
   AND ServiceId = @ServiceId AND GrainTypeString = @GrainTypeString
   AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
RETURNING Version + 1;
$q$);

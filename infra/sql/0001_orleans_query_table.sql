-- Orleans' ADO.NET providers (clustering, grain storage, reminders) read the SQL they run from this table
-- at start-up: "SELECT QueryKey, QueryText FROM OrleansQuery". Identifiers are unquoted, so PostgreSQL folds
-- them to lower case; the providers look columns up by name case-insensitively, so that is fine.
-- The query texts use Orleans' parameter names (@DeploymentId, @GrainIdHash ...); Npgsql binds them by name.
CREATE TABLE OrleansQuery (
    QueryKey  varchar(64) NOT NULL,
    QueryText text        NOT NULL,
    CONSTRAINT PK_OrleansQuery PRIMARY KEY (QueryKey)
);

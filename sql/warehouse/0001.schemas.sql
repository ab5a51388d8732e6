-- The warehouse's layers. Everything the project owns lives in one of these schemas.
create schema if not exists raw;
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;
create schema if not exists snapshots;
create schema if not exists audit;

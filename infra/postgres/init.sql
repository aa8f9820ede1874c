-- Runs once, when the compose Postgres volume is first created (POSTGRES_DB already made `baton`).
-- Tests use their own database so they never touch development data.
CREATE DATABASE baton_test;

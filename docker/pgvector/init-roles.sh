#!/bin/sh
# Runs once, when the pgvector container initialises its data directory: the extension and
# the two roles vecgate's pgvector backend expects (docs/backends/pgvector.md, "Roles").
#   vg_owner: creates, owns and drops the tables (PGVECTOR_ADMIN_URL)
#   vg_data:  the data plane (PGVECTOR_URL); owns nothing, no BYPASSRLS, so row-level
#             security holds it
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner_password="$VG_OWNER_PASSWORD" -v data_password="$VG_DATA_PASSWORD" <<'SQL'
CREATE EXTENSION IF NOT EXISTS vector;
CREATE ROLE vg_owner LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD :'owner_password';
CREATE ROLE vg_data LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD :'data_password';
GRANT USAGE, CREATE ON SCHEMA public TO vg_owner;
GRANT USAGE ON SCHEMA public TO vg_data;
SQL

-- The platform's database for the compose stack: one schema and one login role per context,
-- each role owning its schema and nothing else (what scripts/lib/common.sh does locally).
-- The passwords are the documented development defaults.
REVOKE ALL ON DATABASE lomash_wood_customer FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- Trigram indexes for the admin customer search (profiles).
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE ROLE profiles   LOGIN PASSWORD 'profiles-dev-password';
CREATE ROLE engagement LOGIN PASSWORD 'engagement-dev-password';
CREATE ROLE support    LOGIN PASSWORD 'support-dev-password';
CREATE ROLE loyalty    LOGIN PASSWORD 'loyalty-dev-password';
GRANT CONNECT, TEMPORARY ON DATABASE lomash_wood_customer TO profiles, engagement, support, loyalty;
CREATE SCHEMA profiles   AUTHORIZATION profiles;
CREATE SCHEMA engagement AUTHORIZATION engagement;
CREATE SCHEMA support    AUTHORIZATION support;
CREATE SCHEMA loyalty    AUTHORIZATION loyalty;
REVOKE ALL ON SCHEMA profiles, engagement, support, loyalty FROM PUBLIC;

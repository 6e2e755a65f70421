-- +goose Up
-- People who sign in to the console. The console never holds a business
-- rule: a signed-in user gets a session token (an api_tokens row tied to
-- the user, expiring) and the console calls the API with it, so every page
-- goes through the API's validation, authorization and audit.
CREATE TABLE users (
    id               text PRIMARY KEY,
    email            text NOT NULL,
    name             text NOT NULL,
    role             text NOT NULL CHECK (role IN ('collector', 'manager', 'admin')),
    collector_id     text REFERENCES collectors(id),
    language         text NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en')),
    password_hash    text,                       -- bcrypt; NULL: OpenID Connect sign-in only
    failed_attempts  integer NOT NULL DEFAULT 0, -- consecutive failed password sign-ins
    locked_until     timestamptz,                -- lock-out after repeated failures
    disabled_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (role <> 'collector' OR collector_id IS NOT NULL)
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

-- A session token belongs to a user and expires; other tokens have neither.
ALTER TABLE api_tokens ADD COLUMN user_id text REFERENCES users(id);
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
CREATE INDEX api_tokens_user ON api_tokens (user_id) WHERE user_id IS NOT NULL;

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN expires_at, DROP COLUMN user_id;
DROP TABLE users;

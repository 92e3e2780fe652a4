-- Auth service database (seed 002, "Auth Service Database"; DESIGN 2 and 7).
--
-- Written by hand in the shape `prisma migrate dev` would produce for ../../schema.prisma (same
-- table, column, index and constraint names), followed by what Prisma cannot express: CHECK
-- constraints, case-insensitive unique indexes, the seed's functions, procedures and triggers.
--
-- Deliberate departures from the seed, each explained where it happens:
--   * gen_random_uuid() (built in since PostgreSQL 13) instead of uuid-ossp's uuid_generate_v4().
--   * TIMESTAMPTZ(3) instead of TIMESTAMP: instants, not wall-clock times; millisecond precision is
--     what the Prisma client round-trips.
--   * Only hashes are stored: the seed's plain `refresh_token`, `code` and `token` columns are gone,
--     the procedures take the app's keyed hashes (HMAC-SHA256 hex) in `*_hash` parameters.
--   * Procedures never COMMIT or ROLLBACK: they run inside the caller's transaction so the service
--     writes its outbox event atomically with the change. Validation failures set p_error and
--     change nothing (except verify_email's attempt counter); integrity errors raise.
--   * Procedure outputs are `INOUT ... DEFAULT NULL` rather than `OUT`: PostgreSQL rejects a
--     procedure OUT parameter after a parameter with a default ("procedure OUT parameters cannot
--     appear after one with a default value"), which the seed's signatures need. Callers may omit
--     the outputs (`CALL create_user('ann', ...)`) or pass NULL placeholders as for OUT parameters;
--     either way CALL returns one row with the output values.
--   * Tables `rotated_refresh_tokens` (refresh token reuse detection, DESIGN 7) and `event_outbox`
--     (transactional outbox, DESIGN 9) are additions.
--
-- Procedures and functions run with the caller's rights (SECURITY INVOKER, the default).

-- CreateTable
CREATE TABLE "users" (
    "user_id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "username" VARCHAR(50) NOT NULL,
    "email" VARCHAR(255) NOT NULL,
    "email_normalized" VARCHAR(255) NOT NULL,
    "password_hash" VARCHAR(255) NOT NULL,
    "first_name" VARCHAR(100) NOT NULL,
    "last_name" VARCHAR(100) NOT NULL,
    "phone_number" VARCHAR(20),
    "is_email_verified" BOOLEAN NOT NULL DEFAULT false,
    "is_phone_verified" BOOLEAN NOT NULL DEFAULT false,
    "email_verified_at" TIMESTAMPTZ(3),
    "phone_verified_at" TIMESTAMPTZ(3),
    "profile_picture_url" TEXT,
    "role" VARCHAR(20) NOT NULL DEFAULT 'User',
    "account_status" VARCHAR(20) NOT NULL DEFAULT 'Active',
    "last_login_at" TIMESTAMPTZ(3),
    "failed_login_attempts" INTEGER NOT NULL DEFAULT 0,
    "account_locked_until" TIMESTAMPTZ(3),
    "password_changed_at" TIMESTAMPTZ(3),
    "is_deleted" BOOLEAN NOT NULL DEFAULT false,
    "deleted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("user_id")
);

-- CreateTable
CREATE TABLE "user_sessions" (
    "session_id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "refresh_token_hash" VARCHAR(255) NOT NULL,
    "device_type" VARCHAR(50),
    "device_info" TEXT,
    "ip_address" VARCHAR(45),
    "location" VARCHAR(255),
    "user_agent" TEXT,
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_activity_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "user_sessions_pkey" PRIMARY KEY ("session_id")
);

-- CreateTable
CREATE TABLE "rotated_refresh_tokens" (
    "token_hash" VARCHAR(255) NOT NULL,
    "session_id" UUID NOT NULL,
    "rotated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rotated_refresh_tokens_pkey" PRIMARY KEY ("token_hash")
);

-- CreateTable
CREATE TABLE "verification_codes" (
    "verification_id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "code_hash" VARCHAR(255) NOT NULL,
    "code_type" VARCHAR(20) NOT NULL,
    "is_used" BOOLEAN NOT NULL DEFAULT false,
    "used_at" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attempts" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "verification_codes_pkey" PRIMARY KEY ("verification_id")
);

-- CreateTable
CREATE TABLE "user_login_history" (
    "login_id" BIGSERIAL NOT NULL,
    "user_id" UUID,
    "login_identifier" VARCHAR(255) NOT NULL,
    "login_status" VARCHAR(20) NOT NULL,
    "failure_reason" VARCHAR(255),
    "device_type" VARCHAR(50),
    "device_info" TEXT,
    "ip_address" VARCHAR(45) NOT NULL,
    "location" VARCHAR(255),
    "user_agent" TEXT,
    "login_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "user_login_history_pkey" PRIMARY KEY ("login_id")
);

-- CreateTable
CREATE TABLE "password_reset_tokens" (
    "token_id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "token_hash" VARCHAR(255) NOT NULL,
    "is_used" BOOLEAN NOT NULL DEFAULT false,
    "used_at" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ip_address" VARCHAR(45),

    CONSTRAINT "password_reset_tokens_pkey" PRIMARY KEY ("token_id")
);

-- CreateTable
CREATE TABLE "event_outbox" (
    "id" UUID NOT NULL,
    "type" VARCHAR(100) NOT NULL,
    "payload" JSONB NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "event_outbox_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_username_key" ON "users"("username");

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE INDEX "idx_users_email_normalized" ON "users"("email_normalized");

-- CreateIndex
CREATE INDEX "idx_users_deleted_status" ON "users"("is_deleted", "account_status");

-- CreateIndex
CREATE INDEX "idx_users_created_at" ON "users"("created_at" DESC);

-- CreateIndex
CREATE INDEX "idx_users_last_login_at" ON "users"("last_login_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "user_sessions_refresh_token_hash_key" ON "user_sessions"("refresh_token_hash");

-- CreateIndex
CREATE INDEX "idx_user_sessions_user_active" ON "user_sessions"("user_id", "is_active");

-- CreateIndex
CREATE INDEX "idx_user_sessions_expires_at" ON "user_sessions"("expires_at");

-- CreateIndex
CREATE INDEX "idx_user_sessions_created_at" ON "user_sessions"("created_at" DESC);

-- CreateIndex
CREATE INDEX "idx_rotated_refresh_tokens_session" ON "rotated_refresh_tokens"("session_id");

-- CreateIndex
CREATE INDEX "idx_verification_codes_lookup" ON "verification_codes"("user_id", "code_type", "is_used");

-- CreateIndex
CREATE INDEX "idx_verification_codes_code_hash" ON "verification_codes"("code_hash");

-- CreateIndex
CREATE INDEX "idx_verification_codes_expires_at" ON "verification_codes"("expires_at");

-- CreateIndex
CREATE INDEX "idx_verification_codes_created_at" ON "verification_codes"("created_at" DESC);

-- CreateIndex
CREATE INDEX "idx_login_history_user" ON "user_login_history"("user_id", "login_at" DESC);

-- CreateIndex
CREATE INDEX "idx_login_history_ip" ON "user_login_history"("ip_address", "login_at" DESC);

-- CreateIndex
CREATE INDEX "idx_login_history_status" ON "user_login_history"("login_status", "login_at" DESC);

-- CreateIndex
CREATE INDEX "idx_login_history_login_at" ON "user_login_history"("login_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "password_reset_tokens_token_hash_key" ON "password_reset_tokens"("token_hash");

-- CreateIndex
CREATE INDEX "idx_password_reset_tokens_lookup" ON "password_reset_tokens"("user_id", "is_used", "expires_at");

-- CreateIndex
CREATE INDEX "idx_password_reset_tokens_expires_at" ON "password_reset_tokens"("expires_at");

-- CreateIndex
CREATE INDEX "idx_event_outbox_pending" ON "event_outbox"("occurred_at") WHERE (published_at IS NULL);

-- AddForeignKey
ALTER TABLE "user_sessions" ADD CONSTRAINT "user_sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("user_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rotated_refresh_tokens" ADD CONSTRAINT "rotated_refresh_tokens_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "user_sessions"("session_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "verification_codes" ADD CONSTRAINT "verification_codes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("user_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_login_history" ADD CONSTRAINT "user_login_history_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("user_id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "password_reset_tokens" ADD CONSTRAINT "password_reset_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("user_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- ---------------------------------------------------------------------------------------------
-- Beyond Prisma's schema language
-- ---------------------------------------------------------------------------------------------

-- Seed constraints. The email format is checked by the validate_email_format trigger, as the
-- seed asks; the username rules are CHECKs so no writer can bypass them.
ALTER TABLE "users"
    ADD CONSTRAINT "users_username_length_check" CHECK (length(username) >= 3),
    ADD CONSTRAINT "users_username_format_check" CHECK (username ~ '^[A-Za-z0-9_]+$'),
    ADD CONSTRAINT "users_password_hash_check" CHECK (length(password_hash) >= 60),
    ADD CONSTRAINT "users_role_check" CHECK (role IN ('User', 'Admin', 'Moderator')),
    ADD CONSTRAINT "users_account_status_check"
        CHECK (account_status IN ('Active', 'Inactive', 'Suspended', 'Deleted')),
    ADD CONSTRAINT "users_failed_login_attempts_check" CHECK (failed_login_attempts >= 0);

ALTER TABLE "verification_codes"
    ADD CONSTRAINT "verification_codes_code_type_check" CHECK (code_type IN ('Email', 'Phone', 'PasswordReset')),
    ADD CONSTRAINT "verification_codes_attempts_check" CHECK (attempts >= 0);

ALTER TABLE "user_login_history"
    ADD CONSTRAINT "user_login_history_login_status_check"
        CHECK (login_status IN ('Success', 'Failed', 'Locked', 'Unverified'));

ALTER TABLE "event_outbox"
    ADD CONSTRAINT "event_outbox_attempts_check" CHECK (attempts >= 0);

-- Case-insensitive uniqueness. The seed only asks for case-insensitive *lookups*
-- (email_exists/username_exists); without these indexes two concurrent registrations of
-- "Ann"/"ann" would both pass those checks. The unique index on email_normalized (set by the
-- validate_email_format trigger) makes "Ann@x.io" and "ann@x.io" the same account at the database
-- level. It serves email_exists() and get_user_by_login(); idx_users_email_normalized is kept
-- because schema.prisma declares it.
CREATE UNIQUE INDEX "users_username_lower_key" ON "users" (lower(username));
CREATE UNIQUE INDEX "users_email_normalized_key" ON "users" ("email_normalized");

-- ---------------------------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------------------------

-- Function 1: is the email taken (case-insensitive)? Deleted accounts keep their email until they
-- are purged, so they count.
CREATE OR REPLACE FUNCTION email_exists(p_email VARCHAR)
RETURNS BOOLEAN
LANGUAGE sql STABLE
AS $$
    SELECT EXISTS (SELECT 1 FROM users WHERE email_normalized = lower(p_email));
$$;

-- Function 2: is the username taken (case-insensitive)?
CREATE OR REPLACE FUNCTION username_exists(p_username VARCHAR)
RETURNS BOOLEAN
LANGUAGE sql STABLE
AS $$
    SELECT EXISTS (SELECT 1 FROM users WHERE lower(username) = lower(p_username));
$$;

-- Function 3: the account a login identifier (email or username) names; at most one row, as a
-- username cannot contain '@'. Departure: matched case-insensitively (the seed compares exactly),
-- consistent with email_exists/username_exists and served by the two unique indexes above;
-- account_locked_until is TIMESTAMPTZ like its column.
CREATE OR REPLACE FUNCTION get_user_by_login(p_login_identifier VARCHAR)
RETURNS TABLE (
    user_id UUID,
    username VARCHAR,
    email VARCHAR,
    password_hash VARCHAR,
    is_email_verified BOOLEAN,
    account_status VARCHAR,
    failed_login_attempts INTEGER,
    account_locked_until TIMESTAMPTZ
)
LANGUAGE sql STABLE
AS $$
    SELECT u.user_id, u.username, u.email, u.password_hash, u.is_email_verified, u.account_status,
           u.failed_login_attempts, u.account_locked_until
    FROM users u
    WHERE u.email_normalized = lower(p_login_identifier)
       OR lower(u.username) = lower(p_login_identifier);
$$;

-- Function 4: a 6-digit code (100000-999999). Departures: the randomness comes from
-- gen_random_uuid(), which draws from pg_strong_random() (a CSPRNG), not random(); the first 32
-- bits of a version-4 UUID are all random (the version and variant bits sit in bytes 6 and 8).
-- Rejection sampling removes the modulo bias: 4294800000 = 4772 * 900000 is the largest multiple
-- of 900000 not above 2^32. The seed's "ensure uniqueness against existing codes" is dropped:
-- only keyed hashes are stored, and a code is looked up per user, so uniqueness buys nothing.
CREATE OR REPLACE FUNCTION generate_verification_code()
RETURNS VARCHAR(6)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_random BIGINT;
BEGIN
    LOOP
        v_random := ('x' || left(replace(gen_random_uuid()::text, '-', ''), 8))::bit(32)::bigint;
        EXIT WHEN v_random < 4294800000;
    END LOOP;
    RETURN (100000 + v_random % 900000)::text;
END;
$$;

-- Function 5: the daily cleanup job. The seed's four deletes, plus (departures):
--   * rotated refresh token hashes of sessions that are revoked or expired (reuse detection only
--     matters while a session can still be refreshed), deleted first so they are counted;
--   * accounts soft-deleted more than 30 days ago (the seed's grace period before permanent
--     deletion; their sessions, codes and reset tokens cascade, login history is kept with
--     user_id set to NULL);
--   * outbox events published more than 7 days ago.
-- Returns the rows deleted by its own statements (rows removed by ON DELETE CASCADE of a purged
-- account are not counted).
CREATE OR REPLACE FUNCTION cleanup_old_data()
RETURNS INTEGER
LANGUAGE plpgsql
AS $$
DECLARE
    v_total INTEGER := 0;
    v_count INTEGER;
BEGIN
    DELETE FROM rotated_refresh_tokens r
    USING user_sessions s
    WHERE s.session_id = r.session_id
      AND (NOT s.is_active OR s.expires_at < CURRENT_TIMESTAMP);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    v_total := v_total + v_count;

    DELETE FROM user_sessions WHERE expires_at < CURRENT_TIMESTAMP;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    v_total := v_total + v_count;

    DELETE FROM verification_codes WHERE expires_at < CURRENT_TIMESTAMP AND is_used = FALSE;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    v_total := v_total + v_count;

    DELETE FROM password_reset_tokens WHERE expires_at < CURRENT_TIMESTAMP AND is_used = FALSE;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    v_total := v_total + v_count;

    DELETE FROM user_login_history WHERE login_at < CURRENT_TIMESTAMP - INTERVAL '90 days';
    GET DIAGNOSTICS v_count = ROW_COUNT;
    v_total := v_total + v_count;

    DELETE FROM users WHERE is_deleted AND deleted_at < CURRENT_TIMESTAMP - INTERVAL '30 days';
    GET DIAGNOSTICS v_count = ROW_COUNT;
    v_total := v_total + v_count;

    DELETE FROM event_outbox WHERE published_at < CURRENT_TIMESTAMP - INTERVAL '7 days';
    GET DIAGNOSTICS v_count = ROW_COUNT;
    v_total := v_total + v_count;

    RETURN v_total;
END;
$$;

-- Function 6: an account's statistics as JSON with camelCase keys (the GraphQL layer's naming),
-- NULL when the account does not exist. activeSessionsCount counts sessions that are active and
-- not expired; totalLogins counts successful logins, failedLogins every other outcome;
-- lastLoginAt is the latest successful login in the history or users.last_login_at (the history
-- is pruned after 90 days), whichever is later.
CREATE OR REPLACE FUNCTION get_user_stats(p_user_id UUID)
RETURNS JSON
LANGUAGE sql STABLE
AS $$
    SELECT json_build_object(
        'userId', u.user_id,
        'username', u.username,
        'email', u.email,
        'role', u.role,
        'accountStatus', u.account_status,
        'emailVerified', u.is_email_verified,
        'createdAt', u.created_at,
        'lastLoginAt', GREATEST(logins.last_success, u.last_login_at),
        'activeSessionsCount', (
            SELECT count(*) FROM user_sessions s
            WHERE s.user_id = u.user_id AND s.is_active AND s.expires_at > CURRENT_TIMESTAMP
        ),
        'totalLogins', logins.successes,
        'failedLogins', logins.failures
    )
    FROM users u
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE h.login_status = 'Success') AS successes,
               count(*) FILTER (WHERE h.login_status <> 'Success') AS failures,
               max(h.login_at) FILTER (WHERE h.login_status = 'Success') AS last_success
        FROM user_login_history h
        WHERE h.user_id = u.user_id
    ) logins
    WHERE u.user_id = p_user_id;
$$;

-- ---------------------------------------------------------------------------------------------
-- Procedures (no COMMIT/ROLLBACK inside: see the header)
-- ---------------------------------------------------------------------------------------------

-- Procedure 1: registration. Validations in the seed's order; each failure sets p_error and
-- inserts nothing. Departures: the verification code arrives as the app's keyed hash
-- (p_code_hash; no code row when NULL, e.g. for accounts created by an admin) with a TTL the app
-- chooses (default the seed's 15 minutes); the password hash must be bcrypt's 60 characters.
-- A concurrent registration of the same email/username that slips past the checks fails on the
-- unique indexes and raises (SQLSTATE 23505).
CREATE OR REPLACE PROCEDURE create_user(
    p_username VARCHAR,
    p_email VARCHAR,
    p_password_hash VARCHAR,
    p_first_name VARCHAR,
    p_last_name VARCHAR,
    p_phone_number VARCHAR DEFAULT NULL,
    p_code_hash VARCHAR DEFAULT NULL,
    p_code_ttl INTERVAL DEFAULT INTERVAL '15 minutes',
    INOUT p_user_id UUID DEFAULT NULL,
    INOUT p_error VARCHAR DEFAULT NULL
)
LANGUAGE plpgsql
AS $$
BEGIN
    p_user_id := NULL;
    p_error := NULL;

    IF email_exists(p_email) THEN
        p_error := 'Email already exists';
        RETURN;
    END IF;
    IF username_exists(p_username) THEN
        p_error := 'Username already taken';
        RETURN;
    END IF;
    IF p_email IS NULL OR length(p_email) > 255
       OR p_email !~ '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$' THEN
        p_error := 'Invalid email format';
        RETURN;
    END IF;
    IF p_username IS NULL OR length(p_username) NOT BETWEEN 3 AND 50
       OR p_username !~ '^[A-Za-z0-9_]+$' THEN
        p_error := 'Invalid username format';
        RETURN;
    END IF;
    IF p_password_hash IS NULL OR length(p_password_hash) <> 60 THEN
        p_error := 'Invalid password hash';
        RETURN;
    END IF;

    INSERT INTO users (username, email, email_normalized, password_hash, first_name, last_name,
                       phone_number, is_email_verified, account_status, role)
    VALUES (p_username, p_email, lower(p_email), p_password_hash, p_first_name, p_last_name,
            p_phone_number, FALSE, 'Active', 'User')
    RETURNING user_id INTO p_user_id;

    IF p_code_hash IS NOT NULL THEN
        INSERT INTO verification_codes (user_id, code_hash, code_type, expires_at)
        VALUES (p_user_id, p_code_hash, 'Email',
                CURRENT_TIMESTAMP + COALESCE(p_code_ttl, INTERVAL '15 minutes'));
    END IF;
END;
$$;

-- Procedure 2: email verification against the user's latest unused 'Email' code. Checks in order:
-- attempts (5 wrong codes lock the code), expiry, then the hash. A wrong code increments the
-- attempt counter, the one change a failure makes: the caller must COMMIT (not roll back) after
-- 'Invalid verification code' for the limit to hold.
CREATE OR REPLACE PROCEDURE verify_email(
    p_user_id UUID,
    p_code_hash VARCHAR,
    INOUT p_success BOOLEAN DEFAULT NULL,
    INOUT p_error VARCHAR DEFAULT NULL
)
LANGUAGE plpgsql
AS $$
DECLARE
    v_code verification_codes%ROWTYPE;
BEGIN
    p_success := FALSE;
    p_error := NULL;

    SELECT * INTO v_code
    FROM verification_codes
    WHERE user_id = p_user_id AND code_type = 'Email' AND is_used = FALSE
    ORDER BY created_at DESC
    LIMIT 1
    FOR UPDATE;

    IF NOT FOUND THEN
        p_error := 'Invalid verification code';
        RETURN;
    END IF;
    IF v_code.attempts >= 5 THEN
        p_error := 'Too many attempts';
        RETURN;
    END IF;
    IF v_code.expires_at <= CURRENT_TIMESTAMP THEN
        p_error := 'Verification code expired';
        RETURN;
    END IF;
    IF p_code_hash IS DISTINCT FROM v_code.code_hash THEN
        UPDATE verification_codes SET attempts = attempts + 1
        WHERE verification_id = v_code.verification_id;
        p_error := 'Invalid verification code';
        RETURN;
    END IF;

    UPDATE users SET is_email_verified = TRUE, email_verified_at = CURRENT_TIMESTAMP
    WHERE user_id = p_user_id;
    UPDATE verification_codes SET is_used = TRUE, used_at = CURRENT_TIMESTAMP
    WHERE verification_id = v_code.verification_id;
    p_success := TRUE;
END;
$$;

-- Procedure 3: a session after a successful login. Departures: only the refresh token's hash;
-- p_login_identifier records what the user typed (default: the username); a missing IP address
-- is logged as 'unknown' because the history's ip_address is NOT NULL. An unknown p_user_id
-- raises (foreign key violation).
CREATE OR REPLACE PROCEDURE create_user_session(
    p_user_id UUID,
    p_refresh_token_hash VARCHAR,
    p_device_type VARCHAR,
    p_device_info TEXT,
    p_ip_address VARCHAR,
    p_location VARCHAR,
    p_user_agent TEXT,
    p_expires_at TIMESTAMPTZ,
    p_login_identifier VARCHAR DEFAULT NULL,
    INOUT p_session_id UUID DEFAULT NULL
)
LANGUAGE plpgsql
AS $$
DECLARE
    v_username VARCHAR;
BEGIN
    INSERT INTO user_sessions (user_id, refresh_token_hash, device_type, device_info, ip_address,
                               location, user_agent, expires_at)
    VALUES (p_user_id, p_refresh_token_hash, p_device_type, p_device_info, p_ip_address,
            p_location, p_user_agent, p_expires_at)
    RETURNING session_id INTO p_session_id;

    UPDATE users
    SET last_login_at = CURRENT_TIMESTAMP, failed_login_attempts = 0, account_locked_until = NULL
    WHERE user_id = p_user_id
    RETURNING username INTO v_username;

    INSERT INTO user_login_history (user_id, login_identifier, login_status, device_type,
                                    device_info, ip_address, location, user_agent)
    VALUES (p_user_id, COALESCE(p_login_identifier, v_username), 'Success', p_device_type,
            p_device_info, COALESCE(p_ip_address, 'unknown'), p_location, p_user_agent);
END;
$$;

-- Procedure 4: logout of one session or of all. Departure: p_sessions_revoked is the number of
-- sessions this call deactivated (the seed reports 1 for a single revoke even when the session
-- was already inactive or belongs to someone else).
CREATE OR REPLACE PROCEDURE revoke_user_sessions(
    p_user_id UUID,
    p_session_id UUID DEFAULT NULL,
    p_revoke_all BOOLEAN DEFAULT FALSE,
    INOUT p_sessions_revoked INTEGER DEFAULT NULL
)
LANGUAGE plpgsql
AS $$
BEGIN
    p_sessions_revoked := 0;
    IF COALESCE(p_revoke_all, FALSE) THEN
        UPDATE user_sessions SET is_active = FALSE
        WHERE user_id = p_user_id AND is_active;
        GET DIAGNOSTICS p_sessions_revoked = ROW_COUNT;
    ELSIF p_session_id IS NOT NULL THEN
        UPDATE user_sessions SET is_active = FALSE
        WHERE session_id = p_session_id AND user_id = p_user_id AND is_active;
        GET DIAGNOSTICS p_sessions_revoked = ROW_COUNT;
    END IF;
END;
$$;

-- Procedure 5: refresh token rotation. Departures: hashes only; the hash being replaced is
-- recorded in rotated_refresh_tokens so that presenting it again is detected as reuse (DESIGN 7);
-- the session row is locked and must be active, so a rotation racing a logout cannot revive a
-- revoked session. Raises no_data_found (P0002) for a missing or revoked session and
-- invalid_parameter_value (22023) when the new hash equals the current one.
CREATE OR REPLACE PROCEDURE store_refresh_token(
    p_session_id UUID,
    p_refresh_token_hash VARCHAR,
    p_expires_at TIMESTAMPTZ
)
LANGUAGE plpgsql
AS $$
DECLARE
    v_previous_hash VARCHAR;
BEGIN
    SELECT refresh_token_hash INTO v_previous_hash
    FROM user_sessions
    WHERE session_id = p_session_id AND is_active
    FOR UPDATE;

    IF NOT FOUND THEN
        RAISE EXCEPTION 'Session % not found or revoked', p_session_id USING ERRCODE = 'no_data_found';
    END IF;
    IF v_previous_hash = p_refresh_token_hash THEN
        RAISE EXCEPTION 'The new refresh token hash equals the current one'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    INSERT INTO rotated_refresh_tokens (token_hash, session_id) VALUES (v_previous_hash, p_session_id);

    UPDATE user_sessions
    SET refresh_token_hash = p_refresh_token_hash,
        expires_at = p_expires_at,
        last_activity_at = CURRENT_TIMESTAMP
    WHERE session_id = p_session_id;
END;
$$;

-- Procedure 6: profile fields; NULL leaves a field unchanged. Departure: a soft-deleted account
-- counts as not found.
CREATE OR REPLACE PROCEDURE update_user_profile(
    p_user_id UUID,
    p_first_name VARCHAR DEFAULT NULL,
    p_last_name VARCHAR DEFAULT NULL,
    p_phone_number VARCHAR DEFAULT NULL,
    p_profile_picture_url TEXT DEFAULT NULL,
    INOUT p_success BOOLEAN DEFAULT NULL,
    INOUT p_error VARCHAR DEFAULT NULL
)
LANGUAGE plpgsql
AS $$
BEGIN
    p_success := FALSE;
    p_error := NULL;

    UPDATE users
    SET first_name = COALESCE(p_first_name, first_name),
        last_name = COALESCE(p_last_name, last_name),
        phone_number = COALESCE(p_phone_number, phone_number),
        profile_picture_url = COALESCE(p_profile_picture_url, profile_picture_url),
        updated_at = CURRENT_TIMESTAMP
    WHERE user_id = p_user_id AND NOT is_deleted;

    IF NOT FOUND THEN
        p_error := 'User not found';
        RETURN;
    END IF;
    p_success := TRUE;
END;
$$;

-- Procedure 7: account deletion with the seed's 30-day grace period (cleanup_old_data purges
-- the account afterwards). Every session is revoked. Departure: 'User not found' for a missing or
-- already deleted account (the seed reports success either way).
CREATE OR REPLACE PROCEDURE soft_delete_user(
    p_user_id UUID,
    INOUT p_success BOOLEAN DEFAULT NULL,
    INOUT p_error VARCHAR DEFAULT NULL
)
LANGUAGE plpgsql
AS $$
BEGIN
    p_success := FALSE;
    p_error := NULL;

    UPDATE users
    SET is_deleted = TRUE, deleted_at = CURRENT_TIMESTAMP, account_status = 'Deleted'
    WHERE user_id = p_user_id AND NOT is_deleted;

    IF NOT FOUND THEN
        p_error := 'User not found';
        RETURN;
    END IF;

    UPDATE user_sessions SET is_active = FALSE WHERE user_id = p_user_id AND is_active;
    p_success := TRUE;
END;
$$;

-- ---------------------------------------------------------------------------------------------
-- Triggers (exactly as the seed)
-- ---------------------------------------------------------------------------------------------

-- Trigger 1: updated_at follows every update of a users row.
CREATE OR REPLACE FUNCTION update_timestamp()
RETURNS TRIGGER AS $$
BEGIN
    NEW.updated_at = CURRENT_TIMESTAMP;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER update_users_timestamp
BEFORE UPDATE ON users
FOR EACH ROW
EXECUTE FUNCTION update_timestamp();

-- Trigger 2: rejects a malformed email and keeps email_normalized = lower(email), whatever the
-- writer passed for it.
CREATE OR REPLACE FUNCTION validate_email()
RETURNS TRIGGER AS $$
BEGIN
    IF NEW.email !~ '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$' THEN
        RAISE EXCEPTION 'Invalid email format: %', NEW.email;
    END IF;
    NEW.email_normalized = LOWER(NEW.email);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER validate_email_format
BEFORE INSERT OR UPDATE ON users
FOR EACH ROW
EXECUTE FUNCTION validate_email();

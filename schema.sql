-- schema.sql: acd's PostgreSQL schema, the single source of truth (PostgreSQL 14 or later).
--
-- Idempotent: every statement is CREATE ... IF NOT EXISTS / CREATE OR REPLACE, so applying it
-- again (`acd db init`, every deploy) changes nothing. `acd db init` runs it in one transaction
-- under an advisory lock and records the version below in cc_schema_version; a later change
-- adds a numbered migration (acd/store/db.py, MIGRATIONS) and bumps the version here.
--
-- Times are timestamptz (the engine's records carry epoch seconds; the outbox converts them
-- with to_timestamp). Durations are seconds as double precision. Names of states and reasons
-- are the engine's own (acd/state/agent.py, acd/state/call.py): the CHECKs below make a row the
-- engine could never produce impossible to store.

CREATE TABLE IF NOT EXISTS cc_schema_version (
    version     integer PRIMARY KEY CHECK (version >= 1),
    description text NOT NULL DEFAULT '',
    applied_at  timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------- agents

-- An agent who logs in to the agent page and answers calls on a WebRTC phone. Rows are never
-- deleted (activities and calls refer to them): an agent who leaves is disabled.
-- A "placeholder" row is created by the outbox when a record names an agent that is not in
-- this table (static agents from the config file): disabled, without credentials, so nothing is
-- lost and nobody can log in with it; `acd agent add` on that id completes it.
CREATE TABLE IF NOT EXISTS cc_agents (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id      text NOT NULL UNIQUE CHECK (agent_id ~ '^[A-Za-z0-9_.@-]{1,64}$'),
    name          text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    email         text CHECK (email IS NULL OR email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    -- PJSIP endpoint/aor/auth names; the engine originates PJSIP/<sip_username>.
    sip_username  text UNIQUE CHECK (sip_username ~ '^[A-Za-z0-9_.-]{1,64}$'),
    -- The SIP digest secret, encrypted at rest (a Fernet token keyed by database.secret_key).
    sip_password  bytea,
    sip_domain    text CHECK (sip_domain IS NULL OR sip_domain ~ '^[A-Za-z0-9_.:\[\]-]{1,253}$'),
    -- The last state the engine reported (informational; the engine's memory is the truth).
    state         text NOT NULL DEFAULT 'logged-out' CHECK (
        state IN ('logged-out', 'not-ready', 'ready', 'offered', 'on-call', 'on-hold', 'wrap-up')
    ),
    -- argon2id only (argon2-cffi's encoded form).
    password_hash text CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%'),
    role          text NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'supervisor', 'admin')),
    enabled       boolean NOT NULL DEFAULT true,
    placeholder   boolean NOT NULL DEFAULT false,
    -- Overrides the queues' wrap-up length for this agent (AgentProfile.wrapup_override).
    wrapup_seconds double precision CHECK (wrapup_seconds IS NULL OR wrapup_seconds BETWEEN 0 AND 3600),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- An enabled agent can register a phone and be offered calls: it needs a SIP identity.
    CONSTRAINT cc_agents_enabled_has_sip CHECK (
        NOT enabled OR (sip_username IS NOT NULL AND sip_password IS NOT NULL)
    ),
    CONSTRAINT cc_agents_placeholder_disabled CHECK (NOT (placeholder AND enabled))
);

-- ---------------------------------------------------------------- customers (the built-in CRM)

CREATE TABLE IF NOT EXISTS cc_customers (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Normalised (acd/store/numbers.py): digits, an optional leading '+', nothing else.
    number     text NOT NULL UNIQUE CHECK (number ~ '^\+?[0-9]{3,20}$'),
    name       text NOT NULL DEFAULT '',
    account    text,
    notes      text NOT NULL DEFAULT '',
    tags       text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------- queues

-- Every field of acd.config.QueueSettings, with the same bounds.
CREATE TABLE IF NOT EXISTS cc_queues (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                  text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_.-]{1,64}$'),
    priority              integer NOT NULL DEFAULT 0,
    strategy              text NOT NULL DEFAULT 'longest-idle' CHECK (
        strategy IN ('longest-idle', 'round-robin', 'fewest-calls', 'random', 'ring-all')
    ),
    ring_timeout          double precision NOT NULL DEFAULT 15 CHECK (ring_timeout > 0 AND ring_timeout <= 300),
    wrapup_seconds        double precision NOT NULL DEFAULT 10 CHECK (wrapup_seconds BETWEEN 0 AND 3600),
    require_disposition   boolean NOT NULL DEFAULT false,
    max_wait              double precision CHECK (max_wait IS NULL OR max_wait > 0),
    overflow              text CHECK (overflow IS NULL OR overflow ~ '^(queue|extension):.+$'),
    max_length            integer CHECK (max_length IS NULL OR max_length >= 0),
    join_when_empty       text NOT NULL DEFAULT 'yes' CHECK (join_when_empty IN ('yes', 'no', 'strict')),
    leave_when_empty      text NOT NULL DEFAULT 'no' CHECK (leave_when_empty IN ('no', 'yes', 'strict')),
    moh_class             text NOT NULL DEFAULT 'default' CHECK (moh_class <> ''),
    exit_key              text CHECK (exit_key IS NULL OR exit_key ~ '^[0-9*#]$'),
    service_level_seconds double precision NOT NULL DEFAULT 20 CHECK (service_level_seconds > 0),
    -- [{"after_seconds": 30, "max_level": 2}, ...] (acd.config.Tier)
    tiers                 jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(tiers) = 'array'),
    created_at            timestamptz NOT NULL DEFAULT now()
);

-- Agent skills: membership of a queue at a level (1 = primary; tiers widen to higher levels).
CREATE TABLE IF NOT EXISTS cc_queue_members (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id text NOT NULL REFERENCES cc_agents (agent_id) ON UPDATE CASCADE ON DELETE CASCADE,
    queue    text NOT NULL REFERENCES cc_queues (name) ON UPDATE CASCADE ON DELETE CASCADE,
    level    integer NOT NULL DEFAULT 1 CHECK (level >= 1),
    UNIQUE (agent_id, queue)
);
CREATE INDEX IF NOT EXISTS cc_queue_members_queue ON cc_queue_members (queue);

-- Disposition codes an agent picks in wrap-up; queue NULL means "every queue".
CREATE TABLE IF NOT EXISTS cc_dispositions (
    id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code  text NOT NULL CHECK (code ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    label text NOT NULL DEFAULT '',
    queue text REFERENCES cc_queues (name) ON UPDATE CASCADE ON DELETE CASCADE
);
-- One code per queue, and one global code of a name (NULL queues compare equal here).
CREATE UNIQUE INDEX IF NOT EXISTS cc_dispositions_code_queue ON cc_dispositions (code, coalesce(queue, ''));

-- ---------------------------------------------------------------- calls (one row per segment)

-- The summary of one segment (a stay in one queue, or one outbound call), upserted by the outbox
-- from the engine's CallRecord: a row only moves to a HIGHER version, so a replayed or late
-- record never regresses it. Segments of one interaction share first_queued_at and are linked
-- by transferred_from (no FK: a successor may be written before its predecessor).
-- queue has no FK either: queues may come from the config file.
CREATE TABLE IF NOT EXISTS cc_calls (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_id          text NOT NULL UNIQUE CHECK (call_id <> ''),
    version          bigint NOT NULL CHECK (version >= 1),
    direction        text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    queue            text,
    agent_id         text REFERENCES cc_agents (agent_id),
    caller_number    text NOT NULL DEFAULT '',
    caller_name      text NOT NULL DEFAULT '',
    customer_id      bigint REFERENCES cc_customers (id) ON DELETE SET NULL,
    state            text NOT NULL CHECK (state IN ('queued', 'offered', 'connected', 'held', 'dialing', 'ended')),
    end_reason       text CHECK (end_reason IN (
        'completed-by-caller', 'completed-by-agent', 'abandoned', 'timeout', 'overflowed',
        'transferred', 'exited', 'failed'
    )),
    exit_reason      text CHECK (exit_reason IN ('timeout', 'full', 'join-empty', 'leave-empty', 'exit-key', 'transfer')),
    started_at       timestamptz NOT NULL,
    queued_at        timestamptz,
    first_queued_at  timestamptz,
    answered_at      timestamptz,
    ended_at         timestamptz,
    wait_seconds     double precision CHECK (wait_seconds >= 0),
    talk_seconds     double precision CHECK (talk_seconds >= 0),
    hold_seconds     double precision CHECK (hold_seconds >= 0),
    wrapup_seconds   double precision CHECK (wrapup_seconds >= 0),
    duration         double precision CHECK (duration >= 0),
    disposition      text,
    transferred_from text,
    number           text,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cc_calls_ended_consistent CHECK ((state = 'ended') = (ended_at IS NOT NULL)),
    CONSTRAINT cc_calls_end_reason_when_ended CHECK ((state = 'ended') = (end_reason IS NOT NULL)),
    CONSTRAINT cc_calls_ended_after_start CHECK (ended_at IS NULL OR ended_at >= started_at),
    CONSTRAINT cc_calls_answered_after_start CHECK (answered_at IS NULL OR answered_at >= started_at),
    CONSTRAINT cc_calls_ended_after_answer CHECK (ended_at IS NULL OR answered_at IS NULL OR ended_at >= answered_at),
    CONSTRAINT cc_calls_queued_in_order CHECK (
        queued_at IS NULL OR first_queued_at IS NULL OR first_queued_at <= queued_at
    ),
    CONSTRAINT cc_calls_queue_when_queued CHECK (queued_at IS NULL OR queue IS NOT NULL),
    CONSTRAINT cc_calls_outbound_number CHECK (direction = 'inbound' OR number IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS cc_calls_queue_first_queued ON cc_calls (queue, first_queued_at);
CREATE INDEX IF NOT EXISTS cc_calls_queue_queued ON cc_calls (queue, queued_at);
CREATE INDEX IF NOT EXISTS cc_calls_agent_started ON cc_calls (agent_id, started_at);
CREATE INDEX IF NOT EXISTS cc_calls_started ON cc_calls (started_at);
CREATE INDEX IF NOT EXISTS cc_calls_transferred_from ON cc_calls (transferred_from) WHERE transferred_from IS NOT NULL;
CREATE INDEX IF NOT EXISTS cc_calls_customer ON cc_calls (customer_id) WHERE customer_id IS NOT NULL;

-- ---------------------------------------------------------------- the timelines (append-only)

-- Every event of every segment (entered-queue, offered, answered, abandoned, exited, held...).
-- Interval reports are computed from here. agent_id has no FK: the timeline keeps names as they
-- were and must never refuse an event.
CREATE TABLE IF NOT EXISTS cc_call_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    text NOT NULL UNIQUE CHECK (event_id <> ''),
    call_id     text NOT NULL CHECK (call_id <> ''),
    event_type  text NOT NULL CHECK (event_type ~ '^[a-z][a-z-]*$'),
    "timestamp" timestamptz NOT NULL,
    queue       text,
    agent_id    text,
    data        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(data) = 'object')
);
CREATE INDEX IF NOT EXISTS cc_call_events_call ON cc_call_events (call_id, "timestamp");
CREATE INDEX IF NOT EXISTS cc_call_events_time ON cc_call_events ("timestamp");
CREATE INDEX IF NOT EXISTS cc_call_events_queue_type_time ON cc_call_events (queue, event_type, "timestamp");
CREATE INDEX IF NOT EXISTS cc_call_events_agent_time ON cc_call_events (agent_id, "timestamp") WHERE agent_id IS NOT NULL;

-- Every state change of every agent: from_state -> to_state at "timestamp" (the agent stays in
-- to_state until its next row). metadata.seconds_in_previous is the length of the state left.
CREATE TABLE IF NOT EXISTS cc_agent_activities (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id      text NOT NULL UNIQUE CHECK (event_id <> ''),
    agent_id      text NOT NULL REFERENCES cc_agents (agent_id),
    activity_type text NOT NULL DEFAULT 'state',
    from_state    text NOT NULL CHECK (
        from_state IN ('logged-out', 'not-ready', 'ready', 'offered', 'on-call', 'on-hold', 'wrap-up')
    ),
    to_state      text NOT NULL CHECK (
        to_state IN ('logged-out', 'not-ready', 'ready', 'offered', 'on-call', 'on-hold', 'wrap-up')
    ),
    reason        text,
    "timestamp"   timestamptz NOT NULL,
    metadata      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    -- A not-ready state always has a reason code (acd/state/agent.py refuses one without).
    CONSTRAINT cc_agent_activities_not_ready_reason CHECK (to_state <> 'not-ready' OR reason IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS cc_agent_activities_agent_time ON cc_agent_activities (agent_id, "timestamp", id);
CREATE INDEX IF NOT EXISTS cc_agent_activities_time ON cc_agent_activities ("timestamp");

-- The timelines are history: refuse UPDATE and DELETE. A retention job that must purge old rows
-- says so explicitly in its transaction: SET LOCAL acd.allow_purge = 'on'; then DELETE.
CREATE OR REPLACE FUNCTION cc_refuse_history_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND coalesce(current_setting('acd.allow_purge', true), '') = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE OR REPLACE TRIGGER cc_call_events_append_only
    BEFORE UPDATE OR DELETE ON cc_call_events
    FOR EACH ROW EXECUTE FUNCTION cc_refuse_history_change();

CREATE OR REPLACE TRIGGER cc_agent_activities_append_only
    BEFORE UPDATE OR DELETE ON cc_agent_activities
    FOR EACH ROW EXECUTE FUNCTION cc_refuse_history_change();

-- ---------------------------------------------------------------- version

INSERT INTO cc_schema_version (version, description)
VALUES (1, 'initial schema: agents, customers, queues, members, dispositions, calls, events, activities')
ON CONFLICT (version) DO NOTHING;

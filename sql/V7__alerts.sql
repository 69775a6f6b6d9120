-- Alerts: incidents keyed by check and subject, the Slack messages that carry them, a durable
-- outbox of what is still to be sent, and operators' silences. Kept in the database so that a
-- restarted sentinel neither forgets an open incident nor sends it again, and so that two
-- sentinels running at once send each message once.

-- One row per incident: opened by a finding that is not ok, resolved after some ok passes.
CREATE TABLE intake.alert_incidents (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    check_name        text NOT NULL,
    -- 'batch 42', 'source acme', 'object incoming/acme/a.csv', 'check' (the check as a whole)
    subject           text NOT NULL,
    status            text NOT NULL CHECK (status IN ('open', 'resolved')),
    severity          text NOT NULL CHECK (severity IN ('warning', 'critical')),
    -- the latest finding's summary and facts (never row values; redacted again when rendered)
    summary           text NOT NULL,
    facts             jsonb NOT NULL DEFAULT '{}',
    opened_at         timestamptz NOT NULL,
    last_bad_at       timestamptz NOT NULL,
    -- ok passes in a row since it was last bad; it resolves at SENTINEL_ALERT_CLEAR_PASSES
    ok_passes         integer NOT NULL DEFAULT 0,
    resolved_at       timestamptz,
    -- when it was last announced and at which severity (null: never, e.g. silenced or log only)
    notified_at       timestamptz,
    notified_severity text CHECK (notified_severity IN ('warning', 'critical')),
    -- every destination it was sent to ('slack:#alerts', 'webhook:alerts', 'sns'): its
    -- changes and its resolution go there too
    routes            text[] NOT NULL DEFAULT '{}',
    -- reopened within the flap window after resolving: held as one flapping incident
    reopened          integer NOT NULL DEFAULT 0,
    flapping          boolean NOT NULL DEFAULT false,
    -- the silence that held it back on its last pass, if any
    silence_id        bigint
);
-- The guard of "one incident per check and subject": two sentinels cannot both open it.
CREATE UNIQUE INDEX alert_incidents_one_open ON intake.alert_incidents (check_name, subject) WHERE status = 'open';
-- A finding that comes back soon after its incident resolved reopens it (flapping).
CREATE INDEX alert_incidents_resolved ON intake.alert_incidents (check_name, subject, resolved_at) WHERE status = 'resolved';

-- A Slack message posted with the bot token: its incidents are shown in it, its changes are
-- chat.update of it and replies in its thread. channel_id and ts are what chat.postMessage
-- answered; null until the post was delivered.
CREATE TABLE intake.alert_slack_messages (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    route      text NOT NULL,
    check_name text NOT NULL,
    channel_id text,
    ts         text,
    created_at timestamptz NOT NULL
);
CREATE TABLE intake.alert_incident_messages (
    incident_id bigint NOT NULL REFERENCES intake.alert_incidents (id),
    message_id  bigint NOT NULL REFERENCES intake.alert_slack_messages (id),
    PRIMARY KEY (incident_id, message_id)
);

-- What is to be sent, in order, until it was: written in the transaction that decided it, sent
-- later (and again after failures, with backoff), marked sent once the destination took it.
CREATE TABLE intake.alert_outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at      timestamptz NOT NULL,
    route           text NOT NULL,
    operation       text NOT NULL CHECK (operation IN ('post', 'update', 'reply', 'webhook', 'publish')),
    check_name      text NOT NULL,
    severity        text NOT NULL,
    kind            text NOT NULL,
    message_id      bigint REFERENCES intake.alert_slack_messages (id),
    -- the rendered message: text, blocks, reply text, SNS subject and attributes
    payload         jsonb NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error      text,
    sent_at         timestamptz
);
CREATE INDEX alert_outbox_pending ON intake.alert_outbox (id) WHERE sent_at IS NULL;

-- An operator's silence of a check, or of one subject of it, until it expires.
CREATE TABLE intake.alert_silences (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    check_name text NOT NULL,
    subject    text,
    reason     text NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    removed_at timestamptz,
    CHECK (expires_at > created_at)
);
CREATE INDEX alert_silences_active ON intake.alert_silences (expires_at) WHERE removed_at IS NULL;

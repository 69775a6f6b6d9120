-- Alert routes follow the deployment, not whichever process ran the pass (README "Alerts").
-- A pass run by hand from a shell without Slack settings decides incidents like the daemon
-- does, but where they go comes from the sentinels that can deliver: each one with a
-- destination registers it here, every pass, and only a sentinel with a destination sends to it.

-- The destinations of each sentinel instance that has any, by the severity they take
-- ('slack:#alerts', 'webhook:warnings', 'sns'). An instance rewrites its own rows each pass;
-- rows of an instance not seen for an hour no longer count (it was retired or reconfigured).
CREATE TABLE intake.alert_routes (
    instance   text NOT NULL,
    severity   text NOT NULL CHECK (severity IN ('warning', 'critical')),
    route      text NOT NULL,
    seen_at    timestamptz NOT NULL,
    PRIMARY KEY (instance, severity, route)
);

-- Decided while no sentinel with a destination was known: logged, and announced to the
-- deployment's routes by the first pass that knows them.
ALTER TABLE intake.alert_incidents ADD COLUMN awaiting_routes boolean NOT NULL DEFAULT false;

-- Each destination's delivery is its own outbox row: which sentinel delivered it, and when a
-- row that can never be delivered (Slack refusing that one message, or failing it while taking
-- the messages behind it) was parked so that it stops holding its destination back.
ALTER TABLE intake.alert_outbox
    ADD COLUMN sent_by text,
    ADD COLUMN parked_at timestamptz;
DROP INDEX intake.alert_outbox_pending;
CREATE INDEX alert_outbox_pending ON intake.alert_outbox (route, id) WHERE sent_at IS NULL AND parked_at IS NULL;
CREATE INDEX alert_outbox_parked ON intake.alert_outbox (parked_at) WHERE parked_at IS NOT NULL;

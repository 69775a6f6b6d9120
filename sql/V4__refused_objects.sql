-- Objects the intake refused without reading them: a key outside incoming/, a path trick, or
-- a source with no profile. They never become batches (a batch needs a known source).
CREATE TABLE intake.refused_objects (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bucket      text NOT NULL,
    object_key  text NOT NULL,
    code        text NOT NULL,
    reason      text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refused_objects_by_received_at ON intake.refused_objects (received_at);

-- The front door's per-activity settings, each off by default so existing activities behave as before:
-- waiting room (enabled, admissions per second), staggered entry, participant cap, proof-of-work difficulty.
ALTER TABLE `activities`
    ADD COLUMN `waiting_room_enabled` BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN `admit_per_second` INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN `stagger_seconds` INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN `max_participants` INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN `challenge_difficulty` INTEGER NOT NULL DEFAULT 0;

-- An activity's hot state leaves Redis once it is over (ended, payment window passed, every order final): what
-- Redis held then is kept here for reconciliation and for the shoppers' view of the activity.
ALTER TABLE `activities`
    ADD COLUMN `retired_at` DATETIME(3) NULL,
    ADD COLUMN `final_remaining` INTEGER NULL,
    ADD COLUMN `final_reserved` INTEGER NULL;

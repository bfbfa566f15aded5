-- Payments as the payment service keeps them: ids from AUTO_INCREMENT (one core database, no sharding); the activity
-- (reconciliation is per activity); open_order_id, the order's id while the payment is PENDING or SUCCEEDED and NULL
-- once it is FAILED or REFUNDED, so that its unique key allows one open payment per order however many requests
-- race; a lease on the provider call (charging_until); and when it succeeded or was refunded.
ALTER TABLE `payments`
    MODIFY `id` BIGINT NOT NULL AUTO_INCREMENT,
    ADD COLUMN `activity_id` INTEGER NOT NULL AFTER `order_id`,
    ADD COLUMN `open_order_id` BIGINT NULL AFTER `idempotency_key`,
    ADD COLUMN `provider_refund_id` VARCHAR(64) NULL AFTER `provider_charge_id`,
    ADD COLUMN `charging_until` DATETIME(3) NULL AFTER `provider_refund_id`,
    ADD COLUMN `succeeded_at` DATETIME(3) NULL AFTER `charging_until`,
    ADD COLUMN `refunded_at` DATETIME(3) NULL AFTER `succeeded_at`,
    ADD UNIQUE INDEX `uq_payments_open_order`(`open_order_id`),
    ADD INDEX `ix_payments_activity_status`(`activity_id`, `status`);

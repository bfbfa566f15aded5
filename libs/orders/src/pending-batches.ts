import type { Queue } from 'bullmq';
import { activityOfBatchJob } from '@seckill/contracts';

/**
 * Activities with an order-create batch not finished yet (waiting, running, or backing off after a failed attempt),
 * read from the job ids alone: no job is loaded.
 */
export async function activitiesWithPendingBatches(queue: Queue): Promise<Set<number>> {
  const ids = await queue.getRanges(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'], 0, -1);
  const activities = new Set<number>();
  for (const id of ids) {
    const activityId = activityOfBatchJob(id);
    if (activityId !== undefined) activities.add(activityId);
  }
  return activities;
}

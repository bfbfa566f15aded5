/**
 * The 99th percentile of a latency distribution kept as cumulative buckets (upper bound in seconds → answers at or
 * under it, "+Inf" included), interpolated linearly inside the bucket it falls in, as Prometheus'
 * histogram_quantile does. Returns milliseconds, or null when there was nothing to measure.
 */
export function percentileMs(buckets: ReadonlyMap<string, number>, quantile = 0.99): number | null {
  const bounds = [...buckets.keys()]
    .map((le) => ({ le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), count: buckets.get(le) ?? 0 }))
    .filter((bucket) => !Number.isNaN(bucket.le))
    .sort((a, b) => a.le - b.le);
  const total = bounds.find((bucket) => bucket.le === Number.POSITIVE_INFINITY)?.count ?? bounds.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = quantile * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bucket of bounds) {
    if (bucket.count >= rank) {
      // Past the largest finite bound nothing is known but that bound: report it, as Prometheus does.
      if (bucket.le === Number.POSITIVE_INFINITY) return lowerBound * 1000;
      const inBucket = bucket.count - lowerCount;
      const fraction = inBucket > 0 ? (rank - lowerCount) / inBucket : 1;
      return (lowerBound + (bucket.le - lowerBound) * fraction) * 1000;
    }
    lowerBound = bucket.le;
    lowerCount = bucket.count;
  }
  return lowerBound * 1000;
}

-- Takes or keeps a lease in one compare-and-set step: the holder renews it, anyone takes it once it has lapsed, and
-- nobody renews a lease another instance has taken meanwhile (a GET then PEXPIRE could).
--
-- KEYS: 1 lease
-- ARGV: 1 holder id, 2 lease lifetime (ms)
-- Returns 1 when the caller holds the lease (for the next ARGV[2] ms), else 0.
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0

-- Records that a reservation became an order, for the result endpoint: from QUEUED, or from FAILED when an
-- operator retried the failed job. Never overwrites CANCELLED.
-- KEYS: 1 reservations; ARGV: 1 reservation id, 2 order id. Returns 1 if recorded.
local record = redis.call('HGET', KEYS[1], ARGV[1])
if not record then
  return 0
end
local status, rest = string.match(record, '^([^|]*)|(.*)$')
if status ~= 'QUEUED' and status ~= 'FAILED' then
  return 0
end
local user, shard, at = string.match(rest, '^([^|]*)|([^|]*)|([^|]*)|')
redis.call('HSET', KEYS[1], ARGV[1], 'CREATED|' .. user .. '|' .. shard .. '|' .. at .. '|' .. ARGV[2])
return 1

-- Records that a reservation's order could not be created (its job exhausted its attempts and sits in the failed
-- set for an operator). The unit stays held: retrying the job may still create the order.
-- KEYS: 1 reservations; ARGV: 1 reservation id. Returns 1 if recorded.
local record = redis.call('HGET', KEYS[1], ARGV[1])
if not record then
  return 0
end
local status, rest = string.match(record, '^([^|]*)|(.*)$')
if status ~= 'QUEUED' then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], 'FAILED|' .. rest)
return 1

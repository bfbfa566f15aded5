-- Returns a reservation's unit to stock and lets its user buy again. Idempotent: a reservation is released at
-- most once, whatever the number of calls (timeout job retries, a user cancel racing the timeout).
-- KEYS: 1 meta, 2 holders, 3 reservations, 4.. stock keys; ARGV: 1 reservation id, 2 order id ('' if none)
-- Returns 1 when the unit went back, 0 when it had already been released or the reservation is unknown.
local record = redis.call('HGET', KEYS[3], ARGV[1])
if not record then
  return 0
end
local status, user, shard, at = string.match(record, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|')
if status == 'CANCELLED' then
  return 0
end
redis.call('HSET', KEYS[3], ARGV[1], 'CANCELLED|' .. user .. '|' .. shard .. '|' .. at .. '|' .. ARGV[2])
if redis.call('HGET', KEYS[2], user) == ARGV[1] then
  redis.call('HDEL', KEYS[2], user)
end
local index = tonumber(shard)
if index ~= nil and KEYS[4 + index] then
  redis.call('INCR', KEYS[4 + index])
else
  redis.call('INCR', KEYS[4])
end
return 1

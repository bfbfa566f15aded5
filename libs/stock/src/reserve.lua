-- The purchase decision, atomically, in one round trip: sale window, one unit per user, the activity's rate
-- limit, the stock decrement (over the activity's stock keys) and the reservation record, which is also
-- appended to the activity's stream so that the hand-off to the order queue cannot be lost in a crash.
--
-- KEYS: 1 meta, 2 holders, 3 reservations, 4 last, 5 stream, 6 rate window, 7.. stock keys (all one slot)
-- ARGV: 1 user id, 2 reservation id, 3 now (ms), 4 activity rate limit per second (0 = none), 5 first stock key
-- Returns {code, ...}: {'OK', reservationId, remaining} | {'DUP', reservationId} | {'SOLD_OUT'} | {'NOT_STARTED'}
--   | {'ENDED'} | {'RATE'} | {'MISSING'} (not prewarmed) | {'RESHARD', shards} (caller's key count is stale)
local meta = redis.call('HMGET', KEYS[1], 'start', 'end', 'shards')
if not meta[1] then
  return {'MISSING'}
end
local now = tonumber(ARGV[3])
if now < tonumber(meta[1]) then
  return {'NOT_STARTED'}
end
if now >= tonumber(meta[2]) then
  return {'ENDED'}
end
local held = redis.call('HGET', KEYS[2], ARGV[1])
if held then
  return {'DUP', held}
end
local shards = #KEYS - 6
if shards ~= tonumber(meta[3]) then
  return {'RESHARD', meta[3]}
end
local limit = tonumber(ARGV[4])
if limit > 0 then
  local count = redis.call('INCR', KEYS[6])
  if count == 1 then
    redis.call('PEXPIRE', KEYS[6], 2000)
  end
  if count > limit then
    return {'RATE'}
  end
end
-- Every stock key is tried before SOLD_OUT, so no shopper is turned away while any key holds a unit.
local first = tonumber(ARGV[5])
local taken = -1
for i = 0, shards - 1 do
  local index = (first + i) % shards
  local left = tonumber(redis.call('GET', KEYS[7 + index]) or '0')
  if left > 0 then
    redis.call('DECR', KEYS[7 + index])
    taken = index
    break
  end
end
if taken < 0 then
  return {'SOLD_OUT'}
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[2], 'QUEUED|' .. ARGV[1] .. '|' .. taken .. '|' .. ARGV[3] .. '|')
redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
redis.call('XADD', KEYS[5], '*', 'r', ARGV[2], 'u', ARGV[1], 't', ARGV[3])
local remaining = 0
for i = 7, #KEYS do
  remaining = remaining + tonumber(redis.call('GET', KEYS[i]) or '0')
end
return {'OK', ARGV[2], remaining}

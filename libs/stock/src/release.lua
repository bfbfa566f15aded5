-- Returns reservations' units to stock and lets their users buy again. Idempotent per reservation: each is released
-- at most once, whatever the number of calls (timeout job retries, a user cancel racing the timeout, a retry after a
-- crash between an order's cancel and its release).
-- KEYS: 1 meta, 2 holders, 3 reservations, 4.. stock keys
-- ARGV: pairs of (reservation id, order id ('' if none)): one pair for a shopper's cancel, a whole batch of one
--       activity for the timeouts (one call per batch instead of one per order).
-- Returns how many units went back (a reservation already released, or unknown, counts 0).
local released = 0
for i = 1, #ARGV, 2 do
  local id = ARGV[i]
  local record = redis.call('HGET', KEYS[3], id)
  if record then
    local status, user, shard, at = string.match(record, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|')
    if status ~= 'CANCELLED' then
      redis.call('HSET', KEYS[3], id, 'CANCELLED|' .. user .. '|' .. shard .. '|' .. at .. '|' .. (ARGV[i + 1] or ''))
      if redis.call('HGET', KEYS[2], user) == id then
        redis.call('HDEL', KEYS[2], user)
      end
      local index = tonumber(shard)
      if index ~= nil and KEYS[4 + index] then
        redis.call('INCR', KEYS[4 + index])
      else
        redis.call('INCR', KEYS[4])
      end
      released = released + 1
    end
  end
end
return released

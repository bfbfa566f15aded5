-- Reports reservations that were accepted (202) and then lost with Redis' data before they became orders: each is
-- recorded in the activity's lost hash (for reconciliation and the operator) and, for its shopper, as FAILED, and
-- becomes the shopper's latest reservation unless the shopper has made another since. A reservation Redis knows after
-- all (its order was adopted meanwhile) is not lost and is left alone.
-- KEYS: 1 reservations, 2 last, 3 lost
-- ARGV: per reservation: reservation id, user id, reserved at (ms)
-- Returns how many were reported.
local reported = 0
for i = 1, #ARGV, 3 do
  local reservation, user, at = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('HEXISTS', KEYS[1], reservation) == 0 then
    redis.call('HSET', KEYS[3], reservation, user .. '|' .. at)
    redis.call('HSET', KEYS[1], reservation, 'FAILED|' .. user .. '|0|' .. at .. '|')
    redis.call('HSETNX', KEYS[2], user, reservation)
    reported = reported + 1
  end
end
return reported

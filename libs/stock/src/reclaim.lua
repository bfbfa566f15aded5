-- Re-asserts the reservations an order worker is about to write orders for, once the batch's turn has come: Redis may
-- have lost them while the batch waited (a flush, a restart without persistence, a failover that lost writes), and the
-- activity may have been loaded again from MySQL since, without them. A reservation Redis knows stands as it is. One
-- it lost stands again only with a unit: from the stock keys when the activity is loaded again, or, while it is not,
-- as a holder that the coming load counts. A user holding another unit, or no unit left, means no order: the
-- reservation is lost (the seckill instance that accepted it reports it), rather than a unit sold twice.
-- A reservation already reported lost (FAILED without its holder: report-lost.lua) holds no unit either, and is
-- treated as lost: it stands again only with a unit, and then leaves the lost hash. One that stands again becomes the
-- shopper's latest reservation, so that their result follows it to its order.
-- KEYS: 1 meta, 2 holders, 3 reservations, 4 last, 5 lost, 6.. stock keys (all one slot)
-- ARGV: per reservation: reservation id, user id, reserved at (ms)
-- Returns one flag per reservation: 1 stands (write its order), 0 lost.
local FIRST_STOCK = 6
local loaded = redis.call('EXISTS', KEYS[1]) == 1
local flags = {}
for i = 1, #ARGV, 3 do
  local reservation, user, at = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local stands = 0
  local holder = redis.call('HGET', KEYS[2], user)
  local record = redis.call('HGET', KEYS[3], reservation)
  local reportedLost = record and string.sub(record, 1, 7) == 'FAILED|' and holder ~= reservation
  if record and not reportedLost then
    stands = 1
  elseif holder == reservation then
    stands = 1
    redis.call('HSETNX', KEYS[4], user, reservation)
  elseif not holder then
    local index = -1
    if loaded then
      for k = FIRST_STOCK, #KEYS do
        if tonumber(redis.call('GET', KEYS[k]) or '0') > 0 then
          redis.call('DECR', KEYS[k])
          index = k - FIRST_STOCK
          break
        end
      end
    else
      index = 0
    end
    if index >= 0 then
      redis.call('HSET', KEYS[2], user, reservation)
      redis.call('HSET', KEYS[3], reservation, 'QUEUED|' .. user .. '|' .. index .. '|' .. at .. '|')
      redis.call('HSET', KEYS[4], user, reservation)
      redis.call('HDEL', KEYS[5], reservation)
      stands = 1
    end
  end
  flags[#flags + 1] = stands
end
return flags

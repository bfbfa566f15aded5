-- Restores an activity's hot state from its orders: MySQL's live orders are the truth once Redis has lost its data
-- (a flush, a restart without persistence, a failover to a replica that lagged). Also adopts orders that were written
-- for reservations Redis no longer knows. Idempotent: orders already known change nothing.
--
-- Each order given holds a unit: its user becomes a holder (unless the user already holds one), its reservation is
-- recorded CREATED with the order id (and is no longer reported lost), and it becomes the user's latest reservation
-- unless another is recorded. An activity already in Redis gives one unit from its stock keys to each order whose
-- user was not a holder (the unit the loss handed back); a unit that is not there is counted short (sold beyond the
-- stock: reconciliation shows it). When the activity is not in Redis, holders are written without units, and the
-- call that loads it gives its stock keys stock − holders (so holders written before the load count too).
-- Modes (ARGV[5]):
--   load     only if the activity is not in Redis: adopt the orders and, on the last call (ARGV[6] = 1), load it; an
--            activity in Redis is left as it is (what the purchase path, prewarm and the journal use)
--   rebuild  adopt the orders whether or not the activity is in Redis and, on the last call, load it if it is not
--            (the rebuild command: MySQL's live orders are the truth)
--   adopt    adopt the orders, never load (the order worker, for orders whose reservations Redis lost)
--
-- KEYS: 1 meta, 2 holders, 3 reservations, 4 last, 5 lost, 6.. stock keys (all one slot)
-- ARGV: 1 start (ms), 2 end (ms), 3 stock, 4 shards, 5 mode, 6 last call (1|0),
--       then per order: user id, reservation id, order id, created at (ms)
-- Returns {remaining (-1 when the activity is not in Redis), holders added, units short, loaded now (1|0)}
local FIRST_STOCK = 6
local mode = ARGV[5]
local loaded = redis.call('EXISTS', KEYS[1]) == 1
local function remainingUnits()
  local remaining = 0
  for k = FIRST_STOCK, #KEYS do
    remaining = remaining + tonumber(redis.call('GET', KEYS[k]) or '0')
  end
  return remaining
end
if loaded and mode == 'load' then
  return {remainingUnits(), 0, 0, 0}
end
local added = 0
local short = 0
for i = 7, #ARGV, 4 do
  local user, reservation, order, at = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local status, shard, reservedAt, recordedOrder = 'NONE', '0', at, ''
  local record = redis.call('HGET', KEYS[3], reservation)
  if record then
    status, shard, reservedAt, recordedOrder = string.match(record, '^([^|]*)|[^|]*|([^|]*)|([^|]*)|(.*)$')
  end
  if status ~= 'CREATED' or recordedOrder ~= order then
    redis.call('HSET', KEYS[3], reservation, 'CREATED|' .. user .. '|' .. shard .. '|' .. reservedAt .. '|' .. order)
    redis.call('HDEL', KEYS[5], reservation)
  end
  redis.call('HSETNX', KEYS[4], user, reservation)
  if redis.call('HSETNX', KEYS[2], user, reservation) == 1 then
    added = added + 1
    if loaded then
      local taken = false
      for k = FIRST_STOCK, #KEYS do
        if tonumber(redis.call('GET', KEYS[k]) or '0') > 0 then
          redis.call('DECR', KEYS[k])
          taken = true
          break
        end
      end
      if not taken then
        short = short + 1
      end
    end
  end
end

local loadedNow = 0
if not loaded then
  if mode == 'adopt' or ARGV[6] ~= '1' then
    return {-1, added, short, 0}
  end
  local shards = tonumber(ARGV[4])
  local left = tonumber(ARGV[3]) - redis.call('HLEN', KEYS[2])
  if left < 0 then
    short = -left
    left = 0
  end
  redis.call('HSET', KEYS[1], 'start', ARGV[1], 'end', ARGV[2], 'stock', ARGV[3], 'shards', ARGV[4])
  local base = math.floor(left / shards)
  local extra = left % shards
  for i = 0, shards - 1 do
    local units = base
    if i < extra then
      units = units + 1
    end
    redis.call('SET', KEYS[FIRST_STOCK + i], units)
  end
  loadedNow = 1
end
return {remainingUnits(), added, short, loadedNow}

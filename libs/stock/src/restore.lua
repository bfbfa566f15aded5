-- Restores an activity's hot state from its orders: MySQL's live orders are the truth once Redis has lost its data
-- (a flush, a restart without persistence, a failover to a replica that lagged). Also adopts orders that were written
-- for reservations Redis no longer knows. Idempotent: orders already known change nothing.
--
-- Each order given holds a unit: its user becomes a holder (unless the user already holds one), its reservation is
-- recorded CREATED with the order id (and is no longer reported lost), and it becomes the user's latest reservation
-- unless another is recorded.
-- With ARGV[5] = 1 (load), an activity not in Redis is loaded: its meta is written and its stock keys get stock −
-- holders, counted after the orders were added (holders adopted before the load count too).
-- An activity already in Redis gives one unit from its stock keys to each order whose user was not a holder (the unit
-- the loss handed back); a unit that is not there is counted short (sold beyond the stock: reconciliation shows it).
-- With ARGV[5] = 0 (adopt only) an activity not in Redis is not loaded: only holders and records are written, and the
-- load that comes later counts them.
--
-- KEYS: 1 meta, 2 holders, 3 reservations, 4 last, 5 lost, 6.. stock keys (all one slot)
-- ARGV: 1 start (ms), 2 end (ms), 3 stock, 4 shards, 5 load (1|0),
--       then per order: user id, reservation id, order id, created at (ms)
-- Returns {remaining (-1 when the activity is not in Redis), holders added, units short, loaded now (1|0)}
local FIRST_STOCK = 6
local loaded = redis.call('EXISTS', KEYS[1]) == 1
local added = 0
local short = 0
for i = 6, #ARGV, 4 do
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
  if ARGV[5] ~= '1' then
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
local remaining = 0
for k = FIRST_STOCK, #KEYS do
  remaining = remaining + tonumber(redis.call('GET', KEYS[k]) or '0')
end
return {remaining, added, short, loadedNow}

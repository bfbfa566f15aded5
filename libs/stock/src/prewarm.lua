-- Loads an activity's sale window and stock into Redis. Idempotent: once loaded, the stock is never reset
-- (units may already be reserved), unless ARGV[5] = 1 (an edit before the start) and nobody holds a unit.
-- KEYS: 1 meta, 2 holders, 3.. stock keys; ARGV: 1 start (ms), 2 end (ms), 3 stock, 4 shards, 5 force
-- Returns the units remaining over all stock keys.
local shards = tonumber(ARGV[4])
local loaded = redis.call('EXISTS', KEYS[1]) == 1
local force = ARGV[5] == '1' and redis.call('HLEN', KEYS[2]) == 0
if loaded and not force then
  redis.call('HSET', KEYS[1], 'start', ARGV[1], 'end', ARGV[2])
  local remaining = 0
  for i = 3, #KEYS do
    remaining = remaining + tonumber(redis.call('GET', KEYS[i]) or '0')
  end
  return remaining
end
redis.call('HSET', KEYS[1], 'start', ARGV[1], 'end', ARGV[2], 'stock', ARGV[3], 'shards', ARGV[4])
local stock = tonumber(ARGV[3])
local base = math.floor(stock / shards)
local extra = stock % shards
for i = 0, shards - 1 do
  local units = base
  if i < extra then
    units = units + 1
  end
  redis.call('SET', KEYS[3 + i], units)
end
return stock

-- The waiting room's inlet: advances the serving position of one activity to `now`, atomically. Run by one leader
-- instance every few hundred ms, but safe under any number of callers: admissions are due by elapsed time since the
-- last advance (`at`), so two callers in the same instant admit once between them.
--
-- 1. Closed (sale ended, or every stock key at 0): nothing moves, `at` follows the clock so nothing is banked.
-- 2. Expiry: positions admitted at least `window` ms ago by a step past the cursor are checked (at most `maxChecks`
--    per call); each shopper there without a reservation gives the turn to the next one (serving moves one further).
-- 3. Admission: floor(elapsed × rate) more positions, never past the tail (idle capacity is not banked either).
--    Each step is recorded with its time, which is when its positions were admitted.
--
-- KEYS: 1 room (hash: tail, serving, at, rate, cursor), 2 positions, 3 shoppers (position -> user), 4 steps (zset),
--       5 last (user -> reservation, stock's), 6 reservation stream (its length is the relay backlog), 7.. stock keys
-- ARGV: 1 now (ms), 2 rate (admissions per second, may be fractional; 0 = paused), 3 admission window (ms),
--       4 sale start (ms), 5 sale end (ms), 6 retire at (ms since epoch), 7 most positions checked for expiry
-- Returns {state, serving, tail, expired, backlog} with state 'OPEN', 'CLOSED' or 'UPCOMING' (before the start).
local now, rate, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local room = redis.call('HMGET', KEYS[1], 'tail', 'serving', 'at', 'cursor')
local tail = tonumber(room[1] or '0')
local serving = tonumber(room[2] or '0')
local at = tonumber(room[3] or ARGV[1])
local cursor = tonumber(room[4] or '0')
local backlog = redis.call('XLEN', KEYS[6])

local function retire()
  for i = 1, 4 do
    if redis.call('EXISTS', KEYS[i]) == 1 then
      redis.call('PEXPIREAT', KEYS[i], ARGV[6])
    end
  end
end

local soldOut, loaded, left = false, false, 0
for i = 7, #KEYS do
  local value = redis.call('GET', KEYS[i])
  if value then
    loaded = true
    left = left + tonumber(value)
  end
end
soldOut = loaded and left <= 0
if now >= tonumber(ARGV[5]) or soldOut then
  redis.call('HSET', KEYS[1], 'at', now, 'rate', 0)
  retire()
  return {'CLOSED', serving, tail, 0, backlog}
end
if now < tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[1], 'at', now, 'rate', ARGV[2])
  retire()
  return {'UPCOMING', serving, tail, 0, backlog}
end

-- 2. Expiry: up to the last step whose admissions are at least `window` old.
local expired = 0
local upto = cursor
local limit = cursor + tonumber(ARGV[7])
local steps = redis.call('ZRANGEBYSCORE', KEYS[4], '(' .. cursor, '+inf', 'LIMIT', 0, 100)
for _, step in ipairs(steps) do
  local position, time = string.match(step, '^(%d+):(%d+)$')
  if tonumber(time) + window > now then
    break
  end
  upto = math.min(tonumber(position), limit)
  if upto == limit then
    break
  end
end
if upto > cursor then
  local positions = {}
  for p = cursor + 1, upto do
    positions[#positions + 1] = p
  end
  local users = redis.call('HMGET', KEYS[3], unpack(positions))
  for i, who in ipairs(users) do
    if who then
      -- Not bought, or moved to the back of the queue since (that position is no longer theirs).
      local current = tonumber(redis.call('HGET', KEYS[2], who) or '0')
      if current ~= positions[i] or redis.call('HEXISTS', KEYS[5], who) == 0 then
        expired = expired + 1
      end
    end
  end
  cursor = upto
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', cursor)
end

-- 3. Admission by elapsed time at the current rate, counted from the start at the earliest.
at = math.max(at, tonumber(ARGV[4]))
local due = 0
if rate > 0 and now > at then
  due = math.floor((now - at) * rate / 1000)
end
local target = serving + due + expired
if target >= tail then
  target = tail
  at = now
elseif rate > 0 then
  at = at + due * 1000 / rate
else
  at = now
end
if target > serving then
  serving = target
  redis.call('ZADD', KEYS[4], serving, serving .. ':' .. now)
end
redis.call('HSET', KEYS[1], 'serving', serving, 'at', at, 'rate', ARGV[2], 'cursor', cursor)
retire()
return {'OPEN', serving, tail, expired, backlog}

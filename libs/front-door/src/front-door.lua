-- The shopper's side of the front door, one atomic call per request: join the waiting room, read one's place in it,
-- or pass the gate of the token endpoint (admission, single-use challenge, participant cap) before a purchase token
-- is issued. The serving position only ever moves in inlet.lua.
--
-- A shopper at position p is ADMITTED once serving >= p, for `window` ms from the inlet step that reached p; one who
-- has not bought by then is EXPIRED (inlet.lua hands the turn to the next). Bought = has a reservation (stock's
-- `last` hash). The room is CLOSED for anyone not yet admitted once the sale has ended or every stock key is at 0.
--
-- KEYS: 1 room (hash: tail, serving, at, rate, cursor), 2 positions (user -> position), 3 shoppers (position -> user),
--       4 steps (zset: score = serving after a step, member = '<serving>:<ms>'), 5 last (user -> reservation, stock's),
--       6 participants (set of users given a token), 7 this challenge's used-marker, 8.. stock keys (all one slot)
-- ARGV: 1 op ('join' | 'peek' | 'gate'), 2 user id, 3 now (ms), 4 sale end (ms), 5 admission window (ms),
--       6 waiting room on (1/0), 7 participant cap (0 = none), 8 challenge lifetime (ms; 0 = no challenge),
--       9 retire at (ms since epoch: every key created here expires then)
-- Returns, for join and peek: {status, position, serving, tail, rate} with status NONE (peek of a stranger), WAITING,
--   ADMITTED, EXPIRED or CLOSED; for gate: {'OK'} | {'CLOSED'} | {'NOT_ADMITTED', status, position, serving, tail, rate}
--   | {'REUSED'} (challenge already used) | {'FULL'}
local op, user, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local window = tonumber(ARGV[5])
local retireAt = ARGV[9]

local function closed()
  if now >= tonumber(ARGV[4]) then
    return true
  end
  local loaded, left = false, 0
  for i = 8, #KEYS do
    local value = redis.call('GET', KEYS[i])
    if value then
      loaded = true
      left = left + tonumber(value)
    end
  end
  return loaded and left <= 0
end

local room = redis.call('HMGET', KEYS[1], 'tail', 'serving', 'rate', 'cursor')
local tail = tonumber(room[1] or '0')
local serving = tonumber(room[2] or '0')
local rate = room[3] or '0'
local cursor = tonumber(room[4] or '0')

-- The shopper's status and position, the room's closure aside.
local function place()
  local position = tonumber(redis.call('HGET', KEYS[2], user) or '0')
  if position == 0 then
    return 'NONE', 0
  end
  if position > serving then
    return 'WAITING', position
  end
  if redis.call('HEXISTS', KEYS[5], user) == 1 then
    return 'ADMITTED', position
  end
  if position <= cursor then
    return 'EXPIRED', position
  end
  local step = redis.call('ZRANGEBYSCORE', KEYS[4], position, '+inf', 'LIMIT', 0, 1)[1]
  local admittedAt = step and tonumber(string.match(step, ':(%d+)$')) or now
  if admittedAt + window <= now then
    return 'EXPIRED', position
  end
  return 'ADMITTED', position
end

local status, position = place()
if status ~= 'ADMITTED' and closed() then
  if op == 'gate' then
    return {'CLOSED'}
  end
  return {'CLOSED', position, serving, tail, rate}
end

if op == 'peek' then
  return {status, position, serving, tail, rate}
end

if op == 'join' then
  -- Idempotent while waiting or admitted; a shopper whose turn expired goes to the back of the queue.
  if status == 'NONE' or status == 'EXPIRED' then
    if serving >= tail then
      -- Nobody was waiting: the inlet counts admissions from now, so an idle spell is never banked into a burst.
      redis.call('HSET', KEYS[1], 'at', now)
    end
    tail = redis.call('HINCRBY', KEYS[1], 'tail', 1)
    position = tail
    redis.call('HSET', KEYS[2], user, position)
    redis.call('HSET', KEYS[3], position, user)
    if tail == 1 then
      for i = 1, 3 do
        redis.call('PEXPIREAT', KEYS[i], retireAt)
      end
    end
    status = 'WAITING'
  end
  return {status, position, serving, tail, rate}
end

-- op == 'gate': nothing is written unless every check passes.
if ARGV[6] == '1' and status ~= 'ADMITTED' then
  return {'NOT_ADMITTED', status, position, serving, tail, rate}
end
local challengeTtl = tonumber(ARGV[8])
if challengeTtl > 0 and redis.call('EXISTS', KEYS[7]) == 1 then
  return {'REUSED'}
end
local cap = tonumber(ARGV[7])
if cap > 0 and redis.call('SISMEMBER', KEYS[6], user) == 0 then
  if redis.call('SCARD', KEYS[6]) >= cap then
    return {'FULL'}
  end
  redis.call('SADD', KEYS[6], user)
  redis.call('PEXPIREAT', KEYS[6], retireAt)
end
if challengeTtl > 0 then
  redis.call('SET', KEYS[7], '1', 'PX', challengeTtl)
end
return {'OK'}

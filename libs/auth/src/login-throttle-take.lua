-- Admits one login attempt against a fixed-window failure counter, atomically, so that concurrent attempts can never
-- get past the limit together (a check followed by a later increment would let a burst of parallel guesses through).
--
-- KEYS[1]  the counter (one per username or per client address)
-- ARGV[1]  the limit: attempts admitted per window
-- ARGV[2]  the window, in milliseconds
--
-- Returns the count including this attempt (> 0) when admitted, or minus the milliseconds left in the window
-- (< 0) when the limit is already reached; a refused attempt is not counted and does not extend the window.
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= limit then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then
    -- A counter without expiry would lock the key for good; give it a window (this script never leaves one behind).
    redis.call('PEXPIRE', KEYS[1], window)
    ttl = window
  end
  return -math.max(ttl, 1)
end
count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], window)
end
return count

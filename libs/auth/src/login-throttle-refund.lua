-- Gives back one attempt admitted by login-throttle-take.lua that turned out not to be a failure (the password was
-- right, or the attempt was refused by another counter).
--
-- KEYS[1]  the counter
--
-- Only an existing counter is decremented: DECR on a counter whose window has ended would create one without expiry.
-- Returns the count left.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local count = redis.call('DECR', KEYS[1])
if count <= 0 then
  redis.call('DEL', KEYS[1])
  return 0
end
return count

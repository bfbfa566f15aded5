-- Gives a lease up, only if the caller still holds it (compare-and-delete).
--
-- KEYS: 1 lease
-- ARGV: 1 holder id
-- Returns 1 when the lease was released, 0 when the caller did not hold it.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0

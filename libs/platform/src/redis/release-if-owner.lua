-- Deletes a lock or lease only if it still holds the caller's token: a holder whose key lapsed (a long pause, an
-- outage) and was taken by another must not delete the other's key. GET-then-DEL from the client could not promise
-- that; one script does.
--
-- KEYS[1]  the lock or lease
-- ARGV[1]  the caller's token (a random value it stored when it took the key)
--
-- Returns 1 when the key was the caller's and is gone, 0 when it was not the caller's (or had already lapsed).
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0

-- Extends a lease only if it still holds the caller's token, atomically (GET-then-PEXPIRE from the client could
-- extend a lease another process took in between).
--
-- KEYS[1]  the lease
-- ARGV[1]  the caller's token
-- ARGV[2]  the new lifetime, in milliseconds
--
-- Returns 1 when the lease was the caller's and now lives ARGV[2] ms more, 0 when it is not the caller's any more
-- (it lapsed, and may be someone else's): the caller must then stop acting as its holder.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0

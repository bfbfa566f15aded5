-- Writes a rebuilt catalog entry back only if no edit happened since the rebuild read the version:
-- an edit bumps the version before deleting the entry, so a rebuild that read the old row cannot put it back.
-- KEYS[1] entry, KEYS[2] version; ARGV[1] version read before the rebuild, ARGV[2] value, ARGV[3] ttl (ms)
local current = redis.call('GET', KEYS[2]) or '0'
if current ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1

-- Records that reservations became orders, for the result endpoint: from QUEUED, or from FAILED when an operator
-- retried a failed job. Never overwrites CANCELLED. One call for a whole batch.
-- KEYS: 1 reservations; ARGV: reservation id, order id, reservation id, order id, ...
-- Returns how many were recorded.
local recorded = 0
for i = 1, #ARGV, 2 do
  local record = redis.call('HGET', KEYS[1], ARGV[i])
  if record then
    local status, rest = string.match(record, '^([^|]*)|(.*)$')
    if status == 'QUEUED' or status == 'FAILED' then
      local user, shard, at = string.match(rest, '^([^|]*)|([^|]*)|([^|]*)|')
      redis.call('HSET', KEYS[1], ARGV[i], 'CREATED|' .. user .. '|' .. shard .. '|' .. at .. '|' .. ARGV[i + 1])
      recorded = recorded + 1
    end
  end
end
return recorded

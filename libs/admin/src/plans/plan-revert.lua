-- Takes the plan in force out: every switch it set goes back to its value from before any plan.
-- KEYS: 1 switches hash
-- ARGV: 1 the plan expected in force ('' = whichever), 2 '1' to revert only a plan entered automatically,
--       3 the channel announcing switch changes
-- Returns {1, reverted state JSON} when reverted, {0, state JSON in force or ''} when there was nothing to revert.
local current = redis.call('HGET', KEYS[1], 'plan')
if not current then
  return {0, ''}
end
local state = cjson.decode(current)
if (ARGV[1] ~= '' and state.name ~= ARGV[1]) or (ARGV[2] == '1' and state.auto ~= true) then
  return {0, current}
end
for name, value in pairs(state.saved or {}) do
  if value == false then
    redis.call('HDEL', KEYS[1], name)
  else
    redis.call('HSET', KEYS[1], name, value)
  end
end
redis.call('HDEL', KEYS[1], 'plan')
redis.call('PUBLISH', ARGV[3], 'plan')
return {1, current}

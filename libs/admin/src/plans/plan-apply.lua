-- Puts a degradation plan in force, atomically with the record needed to revert it. The plan's state is a field of
-- the switches hash itself ("plan"), so that the switches and the state of the plan that set them are one key.
-- Switches a previous plan set and this one does not go back to their values from before any plan; the values saved
-- are always those from before the first plan (a missing field is saved as false and deleted on revert).
-- KEYS: 1 switches hash
-- ARGV: 1 the new plan's state as JSON (name, auto, at, by, ...; "saved" is added here),
--       2 '1' to apply only when no plan is in force (the automatic entry), '0' otherwise,
--       3 the channel announcing switch changes, 4.. switch name and stored value, pairs
-- Returns {1, previous state JSON or ''} when applied, {0, state JSON in force} when refused by ARGV[2].
local current = redis.call('HGET', KEYS[1], 'plan')
if current and ARGV[2] == '1' then
  return {0, current}
end
local saved = {}
if current then
  saved = cjson.decode(current).saved or {}
end
local wanted = {}
for i = 4, #ARGV, 2 do
  wanted[ARGV[i]] = ARGV[i + 1]
end
for name, value in pairs(saved) do
  if wanted[name] == nil then
    if value == false then
      redis.call('HDEL', KEYS[1], name)
    else
      redis.call('HSET', KEYS[1], name, value)
    end
    saved[name] = nil
  end
end
for name, value in pairs(wanted) do
  if saved[name] == nil then
    saved[name] = redis.call('HGET', KEYS[1], name)
  end
  redis.call('HSET', KEYS[1], name, value)
end
local state = cjson.decode(ARGV[1])
state.saved = saved
redis.call('HSET', KEYS[1], 'plan', cjson.encode(state))
redis.call('PUBLISH', ARGV[3], 'plan')
return {1, current or ''}

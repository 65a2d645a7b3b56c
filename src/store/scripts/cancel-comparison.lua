-- KEYS: comparison  ARGV: (none) → the member job ids (JSON) when the comparison had not finished
-- (its cancelRequested is now set, so it ends `cancelled`), or false when it had.
local state = redis.call('HMGET', KEYS[1], 'finishedAt', 'jobIds')
if state[1] or not state[2] then return false end
redis.call('HSET', KEYS[1], 'cancelRequested', '1')
return state[2]

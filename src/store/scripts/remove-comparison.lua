-- KEYS: comparison  ARGV: tenantComparisonsPrefix, comparisonId, keyPrefix → the number of keys
-- deleted; false (nothing deleted) while a member is queued or running. Members go with it.
local state = redis.call('HMGET', KEYS[1], 'tenant', 'jobIds')
if not state[2] then return 0 end
local ids = cjson.decode(state[2])
for _, id in ipairs(ids) do
  local status = redis.call('HGET', ARGV[3] .. ':job:' .. id, 'status')
  if status == 'queued' or status == 'running' then return false end
end
local deleted = 0
for _, id in ipairs(ids) do
  local job = ARGV[3] .. ':job:' .. id
  if state[1] then redis.call('ZREM', ARGV[3] .. ':jobs:' .. state[1], id) end
  deleted = deleted + redis.call('DEL', job, job .. ':points', job .. ':checkpoint', job .. ':params')
end
if state[1] then redis.call('ZREM', ARGV[1] .. state[1], ARGV[2]) end
return deleted + redis.call('DEL', KEYS[1])

-- Creates queued jobs (one for POST /v1/jobs, up to 1,000 for a batch or a comparison) and, for a
-- comparison, its record, all in one script: all or nothing.
-- KEYS: tenantJobs, active[, idempotency]
-- ARGV: cap, createdMs, idempotencyTtl, idempotencyValue, liveKeyPrefix, jobCount,
--       then per job: fieldCount, field, value, … (the first field pair is 'id', id);
--       then, for a comparison: comparisonKey, tenantComparisons, comparisonId, fieldCount, field, value, …
-- → {1, position}  created; position: the tenant's active (queued + running) jobs before these
--   {0, value}     the Idempotency-Key already names a live submission: its stored value
--                  (comma-joined job ids, or a comparison id), whose first entry is still stored
--   {2, active}    the tenant's cap would be exceeded: nothing written
--   {3, k}         job k (1-based) uses a data set (field `dataset`: the data set's key) that no
--                  longer exists: nothing written
-- A job that uses a data set joins the data set's users here, atomically with its creation, so a
-- DELETE of the data set can never slip between the two (remove-dataset.lua); _release.lua lets go.
if #KEYS == 3 then
  local existing = redis.call('GET', KEYS[3])
  if existing and redis.call('EXISTS', ARGV[5] .. string.match(existing, '^[^,]+')) == 1 then
    return {0, existing}
  end
end
local cap = tonumber(ARGV[1])
local count = tonumber(ARGV[6])
local active = tonumber(redis.call('GET', KEYS[2]) or '0')
if active < 0 then active = 0 end
if cap > 0 and active + count > cap then return {2, active} end
-- The jobs' data sets, checked before anything is written (all or nothing).
local datasets = {}
local k = 7
for j = 1, count do
  local n = tonumber(ARGV[k])
  for f = k + 1, k + n, 2 do
    if ARGV[f] == 'dataset' then
      if redis.call('EXISTS', ARGV[f + 1]) == 0 then return {3, j} end
      datasets[j] = ARGV[f + 1]
    end
  end
  k = k + n + 1
end
if #KEYS == 3 then redis.call('SET', KEYS[3], ARGV[4], 'EX', ARGV[3]) end
redis.call('SET', KEYS[2], active + count)
local jobPrefix = string.match(KEYS[1], '^(.*):jobs:[^:]*$') .. ':job:'
k = 7
for j = 1, count do
  local n = tonumber(ARGV[k])
  local id = ARGV[k + 2]
  redis.call('HSET', jobPrefix .. id, unpack(ARGV, k + 1, k + n))
  redis.call('ZADD', KEYS[1], ARGV[2], id)
  if datasets[j] then redis.call('SADD', datasets[j] .. ':jobs', id) end
  k = k + n + 1
end
if k <= #ARGV then
  local n = tonumber(ARGV[k + 3])
  redis.call('HSET', ARGV[k], unpack(ARGV, k + 4, k + 3 + n))
  redis.call('ZADD', ARGV[k + 1], ARGV[2], ARGV[k + 2])
end
return {1, active}

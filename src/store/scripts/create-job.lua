-- KEYS: job, tenantJobs[, idempotency]  ARGV: id, createdMs, idempotencyTtl, jobPrefix, field, value, …
-- → {1, id} created; {0, existingId} when the Idempotency-Key already names a live job;
-- {2, ''} when the data set the job uses (field `dataset`: the data set's key) no longer exists.
-- A job that uses a data set joins its set of users here, atomically with its creation, so a
-- DELETE of the data set can never slip between the two (remove-dataset.lua).
if #KEYS == 3 then
  local existing = redis.call('GET', KEYS[3])
  if existing and redis.call('EXISTS', ARGV[4] .. existing) == 1 then
    return {0, existing}
  end
end
local fields = {}
local dataset = nil
for i = 5, #ARGV, 2 do
  fields[#fields + 1] = ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
  if ARGV[i] == 'dataset' then dataset = ARGV[i + 1] end
end
if dataset then
  if redis.call('EXISTS', dataset) == 0 then return {2, ''} end
  redis.call('SADD', dataset .. ':jobs', ARGV[1])
end
if #KEYS == 3 then redis.call('SET', KEYS[3], ARGV[1], 'EX', ARGV[3]) end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return {1, ARGV[1]}

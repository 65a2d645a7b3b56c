-- KEYS: job, tenantJobs[, idempotency]  ARGV: id, createdMs, idempotencyTtl, jobPrefix, field, value, …
-- → {1, id} created; {0, existingId} when the Idempotency-Key already names a live job.
if #KEYS == 3 then
  local existing = redis.call('GET', KEYS[3])
  if existing and redis.call('EXISTS', ARGV[4] .. existing) == 1 then
    return {0, existing}
  end
  redis.call('SET', KEYS[3], ARGV[1], 'EX', ARGV[3])
end
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return {1, ARGV[1]}

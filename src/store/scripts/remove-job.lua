-- KEYS: job, points, checkpoint, params  ARGV: tenantJobsPrefix, id → the number of keys deleted.
local tenant = redis.call('HGET', KEYS[1], 'tenant')
if tenant then redis.call('ZREM', ARGV[1] .. tenant, ARGV[2]) end
return redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])

-- KEYS: job  ARGV: progressJson → 1 when a cancel was requested (the reply doubles as a cancel check).
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'progress', ARGV[1])
if redis.call('HGET', KEYS[1], 'cancelRequested') == '1' then return 1 end
return 0

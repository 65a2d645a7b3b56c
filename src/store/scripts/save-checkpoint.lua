-- KEYS: job, checkpoint  ARGV: checkpointJson → 1 saved; 0 when the job is not running (a late
-- write never outlives its finished job).
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
redis.call('SET', KEYS[2], ARGV[1])
return 1

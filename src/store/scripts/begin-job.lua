-- KEYS: job, checkpoint  ARGV: nowIso, eventsChannel → {HGETALL of the job, checkpoint | false};
-- false when the job is missing or finished (a finished job never goes back to running).
-- queued → running (startedAt kept from an earlier attempt), announced on the events channel.
local status = redis.call('HGET', KEYS[1], 'status')
if not status or status == 'completed' or status == 'failed' or status == 'cancelled' then return false end
if status ~= 'running' then
  redis.call('HSET', KEYS[1], 'status', 'running')
  redis.call('HSETNX', KEYS[1], 'startedAt', ARGV[1])
  redis.call('PUBLISH', ARGV[2], 'running')
  -- A comparison is running from its first member's start.
  local comparison = redis.call('HGET', KEYS[1], 'comparison')
  if comparison then
    local key = string.match(KEYS[1], '^(.*):job:[^:]+$') .. ':comparison:' .. comparison
    if redis.call('HGET', key, 'status') == 'queued' then redis.call('HSET', key, 'status', 'running') end
  end
end
return {redis.call('HGETALL', KEYS[1]), redis.call('GET', KEYS[2])}

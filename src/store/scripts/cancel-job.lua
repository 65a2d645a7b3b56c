-- KEYS: job  ARGV: nowIso, ttl, eventsChannel, cancelChannel, id → HGETALL of the job, or false.
-- queued → cancelled at once; running → cancelRequested, and the workers are told to stop it.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return false end
if status == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'cancelled', 'cancelRequested', '1', 'finishedAt', ARGV[1])
  local ttl = tonumber(ARGV[2])
  if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
  local releaseStatus, releaseIso, releaseTtl = 'cancelled', ARGV[1], ttl
--#include _release.lua
  redis.call('PUBLISH', ARGV[3], 'cancelled')
elseif status == 'running' then
  redis.call('HSET', KEYS[1], 'cancelRequested', '1')
  redis.call('PUBLISH', ARGV[4], ARGV[5])
end
return redis.call('HGETALL', KEYS[1])

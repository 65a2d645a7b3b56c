-- queued | running → failed. KEYS: job, checkpoint, points  ARGV: errorJson, finishedIso, ttl,
-- eventsChannel, finishedChannel, finishedJson → 1, or 0 when the job had already finished.
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'queued' and status ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'failed', 'error', ARGV[1], 'finishedAt', ARGV[2])
redis.call('DEL', KEYS[2])
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('EXPIRE', KEYS[3], ttl)
end
local releaseStatus, releaseIso, releaseTtl = 'failed', ARGV[2], ttl
--#include _release.lua
redis.call('PUBLISH', ARGV[4], 'failed')
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1

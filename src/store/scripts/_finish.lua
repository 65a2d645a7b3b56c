-- The part of the finishing scripts after their checks: status, result, params, TTLs and the
-- two notifications, and the job released (_release.lua). KEYS: job, params, checkpoint, points
-- ARGV: status, resultJson, progressJson, finishedIso, final, best, ttl, eventsChannel,
-- finishedChannel, finishedJson.
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'result', ARGV[2], 'progress', ARGV[3], 'finishedAt', ARGV[4])
redis.call('HSET', KEYS[2], 'final', ARGV[5], 'best', ARGV[6])
redis.call('DEL', KEYS[3])
local ttl = tonumber(ARGV[7])
if ttl > 0 then
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('EXPIRE', KEYS[2], ttl)
  redis.call('EXPIRE', KEYS[4], ttl)
end
local releaseStatus, releaseIso, releaseTtl = ARGV[1], ARGV[4], ttl
--#include _release.lua
redis.call('PUBLISH', ARGV[8], ARGV[1])
redis.call('PUBLISH', ARGV[9], ARGV[10])

-- queued (or running, from an attempt that stopped) → completed | cancelled, for a run that was
-- never begun: as finish-job.lua, except that final and best come as hex (all arguments
-- strings: ioredis then skips its slower Buffer encoding). → {1, added} finished; {0, 0} gone
-- or already finished; {2, 0} a cancel was requested (nothing written).
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'queued' and status ~= 'running' then return {0, 0} end
if redis.call('HGET', KEYS[1], 'cancelRequested') == '1' then return {2, 0} end
local function unhex(s) return (string.gsub(s, '..', function(h) return string.char(tonumber(h, 16)) end)) end
ARGV[5] = unhex(ARGV[5])
ARGV[6] = unhex(ARGV[6])
local added = 0
if #ARGV > 10 then
  local pointsKey, firstPointArg = KEYS[4], 11
--#include _append-points.lua
end
redis.call('HSETNX', KEYS[1], 'startedAt', ARGV[4])
--#include _finish.lua
return {1, added}

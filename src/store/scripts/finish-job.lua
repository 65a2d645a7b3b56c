-- running → completed | cancelled. KEYS and ARGV as _finish.lua, then the run's last points
-- (i1, json1, …) from ARGV[11] → {finished 1 | 0, points added}. The points are appended first
-- (while the record exists, deduplicated by entry id), so a job is never seen finished with its
-- trajectory incomplete.
local added = 0
if #ARGV > 10 and redis.call('EXISTS', KEYS[1]) == 1 then
  local pointsKey, firstPointArg = KEYS[4], 11
--#include _append-points.lua
end
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return {0, added} end
--#include _finish.lua
return {1, added}

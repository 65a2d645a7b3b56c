-- KEYS: points, job  ARGV: i1, json1, i2, json2, … → the number of points added.
-- Only while the job's record exists: a late batch never recreates a deleted job's stream.
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
local added = 0
local pointsKey, firstPointArg = KEYS[1], 1
--#include _append-points.lua
return added

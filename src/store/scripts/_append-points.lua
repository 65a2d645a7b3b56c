-- Appends the points in ARGV[firstPointArg], ARGV[firstPointArg + 1], … (pairs i, JSON) to the
-- stream `pointsKey`, skipping every point whose i is not above the stream's last, and adds the
-- count to `added`. The including script sets pointsKey, firstPointArg and added. Entry ids are
-- `{i}-1` and the field is `p` (POINT_FIELD in trajectory.ts).
local last = -1
local tail = redis.call('XREVRANGE', pointsKey, '+', '-', 'COUNT', 1)
if #tail > 0 then last = tonumber(string.match(tail[1][1], '^(%d+)')) end
for k = firstPointArg, #ARGV, 2 do
  local i = tonumber(ARGV[k])
  if i > last then
    redis.call('XADD', pointsKey, ARGV[k] .. '-1', 'p', ARGV[k + 1])
    last = i
    added = added + 1
  end
end

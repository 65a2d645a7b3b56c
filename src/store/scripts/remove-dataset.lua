-- KEYS: dataset, datasetJobs, tenantDatasets  ARGV: tenant, jobPrefix, id
-- → 1 removed; 0 missing or another tenant's; {2, jobId} refused: a queued or running job uses it.
-- Members of the users set whose job has finished (or expired) are dropped on the way: the set is
-- kept by the job scripts, and this check makes a missed removal harmless.
if redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[1] then return 0 end
for _, jobId in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local status = redis.call('HGET', ARGV[2] .. jobId, 'status')
  if status == 'queued' or status == 'running' then return {2, jobId} end
  redis.call('SREM', KEYS[2], jobId)
end
redis.call('UNLINK', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[3])
return 1

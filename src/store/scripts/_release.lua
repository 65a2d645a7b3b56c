-- A job has just finished (any status), in the script that finished it: it stops counting against
-- its tenant's cap of active jobs; it leaves its data set's users (the `dataset` field holds the
-- data set's key), so the data set may be deleted; a webhook delivery is put in the outbox; and a comparison member
-- counts down its comparison, whose last member sets the comparison's final status. The including
-- script sets releaseStatus, releaseIso and releaseTtl; KEYS[1] is the job. Keys are named from
-- the job key's prefix (`{p}:job:{id}`), so the callers' argument lists stay as they were.
do
  local prefix = string.match(KEYS[1], '^(.*):job:[^:]+$')
  local owner = redis.call('HMGET', KEYS[1], 'tenant', 'comparison', 'webhook', 'id', 'dataset')
  if owner[5] then redis.call('SREM', owner[5] .. ':jobs', owner[4]) end
  if owner[1] then
    local active = prefix .. ':active:' .. owner[1]
    if redis.call('DECR', active) <= 0 then redis.call('DEL', active) end
  end
  if owner[3] then redis.call('ZADD', prefix .. ':webhook-outbox', 0, 'job-' .. owner[4]) end
  local comparison = owner[2] and (prefix .. ':comparison:' .. owner[2])
  if comparison and redis.call('EXISTS', comparison) == 1 then
    if releaseStatus == 'failed' then redis.call('HINCRBY', comparison, 'failed', 1) end
    local left = redis.call('HINCRBY', comparison, 'unfinished', -1)
    if left > 0 then
      if redis.call('HGET', comparison, 'status') == 'queued' then
        redis.call('HSET', comparison, 'status', 'running')
      end
    elseif left == 0 then
      local state = redis.call('HMGET', comparison, 'cancelRequested', 'failed', 'webhook', 'jobIds')
      local final = 'completed'
      if state[1] == '1' then final = 'cancelled' elseif tonumber(state[2] or '0') > 0 then final = 'failed' end
      redis.call('HSET', comparison, 'status', final, 'finishedAt', releaseIso)
      if releaseTtl > 0 then
        -- Members finished earlier expire with their comparison, not before it.
        redis.call('EXPIRE', comparison, releaseTtl)
        for _, id in ipairs(cjson.decode(state[4])) do
          local job = prefix .. ':job:' .. id
          redis.call('EXPIRE', job, releaseTtl)
          redis.call('EXPIRE', job .. ':points', releaseTtl)
          redis.call('EXPIRE', job .. ':params', releaseTtl)
        end
      end
      if state[3] then redis.call('ZADD', prefix .. ':webhook-outbox', 0, 'comparison-' .. owner[2]) end
    end
  end
end

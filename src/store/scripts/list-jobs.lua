-- One page of a tenant's jobs, newest first: members ordered by (createdMs desc, id desc); the
-- cursor (score, id) is the last item returned, so jobs created meanwhile never shift a page.
-- KEYS: tenantJobs  ARGV: jobPrefix, cursorScore ('+inf' when none), cursorId, status, hasLabel,
-- label, limit, budget → {nextScore | false, nextId | false, record1 (flat HGETALL), record2, …}.
-- Members whose record has expired are removed on the way.
local cursorScore = ARGV[2]
local cursorId = ARGV[3]
local status = ARGV[4]
local hasLabel = ARGV[5] == '1'
local label = ARGV[6]
local limit = tonumber(ARGV[7])
local budget = tonumber(ARGV[8])
local batch = 100
local records = {}
local expired = {}
local lastScore, lastId = false, false
local scanned = 0
local offset = 0
local reachedEnd = false
local stopped = false
while not stopped do
  local page = redis.call('ZRANGE', KEYS[1], cursorScore, '-inf', 'BYSCORE', 'REV', 'LIMIT', offset, batch, 'WITHSCORES')
  if #page == 0 then reachedEnd = true break end
  offset = offset + math.floor(#page / 2)
  for i = 1, #page, 2 do
    local id, score = page[i], page[i + 1]
    local skip = cursorId ~= '' and tonumber(score) == tonumber(cursorScore) and id >= cursorId
    if not skip then
      if #records >= limit or scanned >= budget then stopped = true break end
      scanned = scanned + 1
      lastScore, lastId = score, id
      local key = ARGV[1] .. id
      local fields = redis.call('HMGET', key, 'status', 'label')
      if not fields[1] then
        expired[#expired + 1] = id
      elseif (status == '' or fields[1] == status) and (not hasLabel or fields[2] == label) then
        records[#records + 1] = redis.call('HGETALL', key)
      end
    end
  end
  if not stopped and #page < batch * 2 then reachedEnd = true break end
end
if #expired > 0 then redis.call('ZREM', KEYS[1], unpack(expired)) end
if reachedEnd then lastScore, lastId = false, false end
local out = {lastScore, lastId}
for i = 1, #records do out[#out + 1] = records[i] end
return out

-- Claims due entries of the webhook outbox (a zset scored by when an entry may next be taken):
-- KEYS: outbox  ARGV: nowMs, leaseMs, limit → the entries, each now leased for leaseMs. The
-- caller adds them to the webhook queue and then removes them (ZREM); a caller that dies in
-- between leaves them to be claimed again once the lease has run out (the queue's job ids make
-- that second add a no-op when the first went through).
local due = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[3]))
local until_ = tonumber(ARGV[1]) + tonumber(ARGV[2])
for _, entry in ipairs(due) do redis.call('ZADD', KEYS[1], until_, entry) end
return due

-- KEYS: record (a job or a comparison)  ARGV: deliveriesJson → 1 written; 0 when the record is
-- gone (a late log never recreates a deleted record).
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'webhookLog', ARGV[1])
return 1

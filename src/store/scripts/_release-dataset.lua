-- The job KEYS[1] no longer uses its data set (if it has one: the `dataset` field holds the data
-- set's key): it leaves the data set's set of users, so the data set may be deleted.
local datasetKey = redis.call('HGET', KEYS[1], 'dataset')
if datasetKey then redis.call('SREM', datasetKey .. ':jobs', redis.call('HGET', KEYS[1], 'id')) end

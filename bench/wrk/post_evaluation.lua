-- POST one new evaluation per request: a unique external_id and Idempotency-Key each time.
dofile("bench/wrk/report.lua")
local run = os.getenv("BENCH_RUN") or "0"
local levels = {1, 2, 3, 3, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  counter = counter + 1
  local ext = string.format("%s-%d-%d", run, id, counter)
  wrk.headers["Idempotency-Key"] = "idem-" .. ext
  local body = string.format('{"level":%d,"text":"bench","external_id":"%s"}', levels[(counter % 20) + 1], ext)
  return wrk.format(nil, nil, nil, body)
end

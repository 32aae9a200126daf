-- POST one new complaint per request: a unique external_id and Idempotency-Key each time.
dofile("bench/wrk/report.lua")
local run = os.getenv("BENCH_RUN") or "0"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  counter = counter + 1
  local ext = string.format("%s-%d-%d", run, id, counter)
  wrk.headers["Idempotency-Key"] = "idem-" .. ext
  local body = string.format('{"content":"窗口排队太久，无人引导","external_id":"%s"}', ext)
  return wrk.format(nil, nil, nil, body)
end

-- GET the dashboard with a start date no request of this run asked for before: every request is a
-- new filter combination, so the figures are computed, never served from the 60 s cache.
dofile("bench/wrk/report.lua")
local run = tonumber(os.getenv("BENCH_RUN_OFFSET") or "0")

request = function()
  counter = counter + 1
  -- Distinct per thread and request: 2 threads, up to 4000 requests each, a day apart, from ~6 months back.
  local n = run + counter * 2 + id
  local start = os.time() - (180 + n % 8000) * 86400 + 8 * 3600
  return wrk.format(nil, wrk.path .. "?start=" .. os.date("!%Y-%m-%d", start))
end

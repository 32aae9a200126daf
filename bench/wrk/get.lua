dofile("bench/wrk/report.lua")

-- wrk: POST /v1/customers/support/tickets for a random customer's token of 10,000.
dofile("bench/report.lua")
local tokens = {}
for line in io.lines(os.getenv("TOKENS_FILE")) do tokens[#tokens + 1] = line end
math.randomseed(os.time())

request = function()
  return wrk.format("POST", "/v1/customers/support/tickets",
    { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)], ["Content-Type"] = "application/json" },
    '{"subject":"Benchmark ticket","message":"The drawer runner snapped off during the benchmark.","category":"PRODUCT"}')
end

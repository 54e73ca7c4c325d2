-- wrk: an admin's POST /v1/customers/loyalty/transactions, EARN for a random customer of 10,000.
dofile("bench/report.lua")
local headers = { ["Authorization"] = "Bearer " .. os.getenv("ADMIN_TOKEN"), ["Content-Type"] = "application/json" }
local customers = tonumber(os.getenv("CUSTOMERS"))
math.randomseed(os.time())

request = function()
  local body = string.format('{"userId":"bench-%d","type":"EARN","points":%d,"reason":"Benchmark order"}',
    math.random(customers), math.random(1, 500))
  return wrk.format("POST", "/v1/customers/loyalty/transactions", headers, body)
end

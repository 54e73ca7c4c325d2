-- wrk: POST /v1/customers/wishlist/items, a random product for a random customer's token of 10,000.
dofile("bench/report.lua")
local tokens = {}
for line in io.lines(os.getenv("TOKENS_FILE")) do tokens[#tokens + 1] = line end
math.randomseed(os.time())

request = function()
  local body = string.format('{"productId":"bench-item-%d","category":"KITCHEN","notes":"Benchmark"}', math.random(1000000))
  return wrk.format("POST", "/v1/customers/wishlist/items",
    { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)], ["Content-Type"] = "application/json" }, body)
end

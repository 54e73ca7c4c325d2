-- wrk: PATCH /v1/customers/profile with a new first name, for a random customer's token of 10,000
-- (profiles publishes customer.profile.updated; engagement and loyalty project the name).
dofile("bench/report.lua")
local tokens = {}
for line in io.lines(os.getenv("TOKENS_FILE")) do tokens[#tokens + 1] = line end
math.randomseed(os.time())

request = function()
  return wrk.format("PATCH", "/v1/customers/profile",
    { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)], ["Content-Type"] = "application/json" },
    string.format('{"firstName":"Soak%d"}', math.random(1000000)))
end

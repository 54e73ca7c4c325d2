-- wrk: GET /v1/customers/profile with a random token of 10,000 (one per customer).
dofile("bench/report.lua")
local tokens = {}
for line in io.lines(os.getenv("TOKENS_FILE")) do tokens[#tokens + 1] = line end
math.randomseed(os.time())

request = function()
  return wrk.format("GET", "/v1/customers/profile", { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] })
end

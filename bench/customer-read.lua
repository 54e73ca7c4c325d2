-- wrk: GET $READ_PATH (e.g. /v1/customers/profile) with a random customer's token of 10,000.
dofile("bench/report.lua")
local path = os.getenv("READ_PATH")
local tokens = {}
for line in io.lines(os.getenv("TOKENS_FILE")) do tokens[#tokens + 1] = line end
math.randomseed(os.time())

request = function()
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] })
end

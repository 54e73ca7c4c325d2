-- wrk: GET $READ_PATH with a page of 1 to $PAGES (limit 20) and the staff token $STAFF_TOKEN:
-- a list that spans customers, so it is never cached (the staff ticket list, the moderation queue).
dofile("bench/report.lua")
local path = os.getenv("READ_PATH")
local pages = tonumber(os.getenv("PAGES"))
local separator = path:find("?", 1, true) and "&" or "?"
local headers = { ["Authorization"] = "Bearer " .. os.getenv("STAFF_TOKEN") }
math.randomseed(os.time())

request = function()
  return wrk.format("GET", string.format("%s%spage=%d&limit=20", path, separator, math.random(pages)), headers)
end

-- wrk: the public GET /v1/customers/reviews/product/:productId (no token) for a random product of $PRODUCTS.
dofile("bench/report.lua")
local products = tonumber(os.getenv("PRODUCTS"))
math.randomseed(os.time())

request = function()
  return wrk.format("GET", "/v1/customers/reviews/product/bench-product-" .. math.random(products))
end

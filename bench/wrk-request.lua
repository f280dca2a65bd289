-- wrk script for bench/run.sh: method, body, API key and Prefer header from the environment
-- (WRK_METHOD, WRK_BODY, WRK_KEY, WRK_PREFER); prints "status <code> <count>" lines when done.
wrk.method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY")
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
local key = os.getenv("WRK_KEY")
if key and key ~= "" then wrk.headers["X-API-Key"] = key end
local prefer = os.getenv("WRK_PREFER")
if prefer and prefer ~= "" then wrk.headers["Prefer"] = prefer end

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do total[status] = (total[status] or 0) + n end
  end
  for status, n in pairs(total) do io.write(string.format("status %d %d\n", status, n)) end
end

-- wrk script: ~95 % reads (home and articles), ~5 % contribution starts with
-- the demo provider (POST /support/ -> 302 to the demo checkout).
-- URLS (one path per line) comes from the file named in env LOAD_URLS.
-- The CSRF secret is one we choose: Django's CSRF cookie is not signed, only
-- compared with the form field, so a fixed pair passes like a browser's.

local csrf = "benchBENCHbenchBENCHbenchBENCH42"
local paths = {}
local origin = os.getenv("LOAD_ORIGIN")
local start_percent = tonumber(os.getenv("LOAD_START_PERCENT") or "5")

for line in io.lines(os.getenv("LOAD_URLS")) do
  if #line > 0 then paths[#paths + 1] = line end
end

local body = "frequency=once&currency=USD&amount=10&method=demo&csrfmiddlewaretoken=" .. csrf
local post_headers = {
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["Cookie"] = "csrftoken=" .. csrf,
  ["Origin"] = origin,
  ["Sec-Fetch-Site"] = "same-origin",
}

local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  threads[#threads + 1] = thread
end

function init(args)
  counts = {sent_starts = 0, start_ok = 0, read_ok = 0, bad = 0}
  bad_statuses = {}
  math.randomseed(os.time() + id * 7919)
end

function request()
  if math.random(100) <= start_percent then
    counts.sent_starts = counts.sent_starts + 1
    return wrk.format("POST", "/support/", post_headers, body)
  end
  return wrk.format("GET", paths[math.random(#paths)])
end

-- Responses are told apart by what they are, since several connections share
-- a thread: a started contribution is a 302 to the demo checkout.
function response(status, headers, body)
  local location = headers["Location"] or headers["location"] or ""
  if status == 302 and string.find(location, "demo-checkout", 1, true) then
    counts.start_ok = counts.start_ok + 1
  elseif status == 200 then
    counts.read_ok = counts.read_ok + 1
  else
    counts.bad = counts.bad + 1
    bad_statuses[status] = (bad_statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local total = {sent_starts = 0, start_ok = 0, read_ok = 0, bad = 0}
  local statuses = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    for k, _ in pairs(total) do total[k] = total[k] + c[k] end
    for code, n in pairs(thread:get("bad_statuses")) do
      statuses[code] = (statuses[code] or 0) + n
    end
  end
  local parts = {}
  for code, n in pairs(statuses) do
    parts[#parts + 1] = string.format("\"%d\": %d", code, n)
  end
  table.sort(parts)
  io.write(string.format(
    "JSON {\"requests\": %d, \"duration_s\": %.3f, \"rps\": %.1f, \"p50_ms\": %.2f, " ..
    "\"p90_ms\": %.2f, \"p99_ms\": %.2f, \"max_ms\": %.2f, \"socket_errors\": %d, " ..
    "\"non_2xx_3xx\": %d, \"read_ok\": %d, \"start_ok\": %d, \"starts_sent\": %d, " ..
    "\"bad_responses\": %d, \"bad_statuses\": {%s}}\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, total.read_ok, total.start_ok, total.sent_starts, total.bad,
    table.concat(parts, ", ")))
end

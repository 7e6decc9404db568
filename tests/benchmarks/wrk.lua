-- wrk script for tests/benchmarks/api.py (not meant to be run by hand, though it can be):
--
--   BENCH_WRK_PATHS=paths.txt wrk -t1 -c8 -d10s -s tests/benchmarks/wrk.lua http://127.0.0.1:8000
--
-- Each request takes the next path from the file named by BENCH_WRK_PATHS (one per line), so
-- a detail scenario rotates over many records instead of hitting one cached row. At the end it
-- prints one line, "BENCH-RESULT {json}", with the counts, the status codes seen and the latency
-- percentiles in microseconds, for the Python side to read.

local paths = {}
for line in io.lines(os.getenv("BENCH_WRK_PATHS")) do
  if line ~= "" then
    paths[#paths + 1] = line
  end
end

-- BENCH_WRK_CLIENTS=N (load.py, faults.py): the requests arrive as a browser's through the TLS
-- proxy in front of production, from N client addresses in turn (X-Forwarded-Proto and
-- X-Forwarded-For, Accept-Encoding: gzip), so that per-address limits meet a realistic spread of
-- clients rather than one address.
local clients = tonumber(os.getenv("BENCH_WRK_CLIENTS") or "0")

local threads = {}

function setup(thread)
  thread:set("thread_number", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  -- Globals of this thread's own Lua state; done() collects them with thread:get().
  next_path = thread_number % #paths
  next_client = thread_number
  statuses = {}
end

function request()
  next_path = next_path % #paths + 1
  if clients > 0 then
    next_client = next_client % clients + 1
    local address = string.format("10.%d.%d.%d", math.floor(next_client / 65536) % 256,
                                  math.floor(next_client / 256) % 256, next_client % 256)
    return wrk.format("GET", paths[next_path], {["X-Forwarded-Proto"] = "https", ["X-Forwarded-For"] = address,
                                                ["Accept-Encoding"] = "gzip"})
  end
  return wrk.format("GET", paths[next_path])
end

-- Status codes one by one (load.py, faults.py), unless BENCH_WRK_CODES=0 (api.py): wrk hands every
-- whole body to a response() function, which for a box of 1,000 Features (2 MB) cost wrk enough of
-- the two cores it shares with the server to take 7-10% off the server's throughput. Without it,
-- only wrk's own count of responses with a status of 400 or more is known (summary.errors.status).
if os.getenv("BENCH_WRK_CODES") ~= "0" then
  function response(status, headers, body)
    local key = tostring(status)
    statuses[key] = (statuses[key] or 0) + 1
  end
end

function done(summary, latency, requests)
  local seen = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      seen[status] = (seen[status] or 0) + count
    end
  end
  local status_parts = {}
  for status, count in pairs(seen) do
    status_parts[#status_parts + 1] = string.format('"%s": %d', status, count)
  end
  local e = summary.errors
  io.write("BENCH-RESULT ", string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"statuses": {%s}, ' ..
    '"latency_us": {"min": %d, "mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p95": %d, "p99": %d}}',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(status_parts, ", "),
    latency.min, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99)), "\n")
end

-- wrk script: POST kiosk check-ins, each a distinct device event with its own Idempotency-Key.
-- STUDENTS, TOKEN, DEVICE and BASE_EPOCH come from the environment (set by bench/checkin_load.py). With CALLERS
-- (bench/targets.py's spread over many schools), it names a file of lines `student_id device_id token` instead,
-- each request from that child's own school's kiosk (a token per school is too long for the environment).
local callers = {}
if os.getenv("CALLERS") then
  for line in io.lines(os.getenv("CALLERS")) do
    local student, device, token = string.match(line, "(%S+) (%S+) (%S+)")
    callers[#callers + 1] = {student, device, token}
  end
else
  for id in string.gmatch(os.getenv("STUDENTS"), "[^,]+") do
    callers[#callers + 1] = {id, os.getenv("DEVICE"), os.getenv("TOKEN")}
  end
end
local base = tonumber(os.getenv("BASE_EPOCH"))
local threads, counter = 0, 0
thread_id = 0  -- global: wrk sets it per thread in setup()

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function init(args)
  counter = 0
end

function request()
  counter = counter + 1
  local n = thread_id * 10000000 + counter
  local millis = n % 1000
  local caller = callers[(n % #callers) + 1]
  local stamp = os.date("!%Y-%m-%dT%H:%M:%S", base + math.floor(n / 1000)) .. string.format(".%03dZ", millis)
  local body = string.format('{"student_id":"%s","occurred_at":"%s","device_id":"%s","method":"card"}',
    caller[1], stamp, caller[2])
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. caller[3],
    ["Idempotency-Key"] = "bench-" .. n,
  }, body)
end

function response(status, headers, body)
  if status ~= 201 then
    print("unexpected status " .. status .. ": " .. body)
  end
end

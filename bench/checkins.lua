-- wrk script: POST kiosk check-ins, each a distinct device event with its own Idempotency-Key.
-- STUDENTS, TOKEN, DEVICE and BASE_EPOCH come from the environment (set by bench/checkin_load.py).
local students = {}
for id in string.gmatch(os.getenv("STUDENTS"), "[^,]+") do students[#students + 1] = id end
local token, device, base = os.getenv("TOKEN"), os.getenv("DEVICE"), tonumber(os.getenv("BASE_EPOCH"))
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
  local stamp = os.date("!%Y-%m-%dT%H:%M:%S", base + math.floor(n / 1000)) .. string.format(".%03dZ", millis)
  local body = string.format('{"student_id":"%s","occurred_at":"%s","device_id":"%s","method":"card"}',
    students[(n % #students) + 1], stamp, device)
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = "bench-" .. n,
  }, body)
end

function response(status, headers, body)
  if status ~= 201 then
    print("unexpected status " .. status .. ": " .. body)
  end
end

-- wrk script: POST the same size of JSON body as a check-in to the echo app.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"student_id":"s1-g3-c1-07","occurred_at":"2026-11-24T16:05:00.123Z","device_id":"s1-kiosk-gate","method":"card"}'

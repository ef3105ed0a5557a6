"""The dispatcher: sends what is due on each channel within its rate limit, retries, falls back, breaks circuits."""

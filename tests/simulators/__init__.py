"""Local stand-ins for outside providers notify cannot reach from a test (Alibaba Cloud SMS, WeChat, a school's
webhook receiver) and a real SMTP server (aiosmtpd), each on a loopback port. They reproduce the providers'
documented answers, error codes, throttling and token expiry; they are written from the providers' documents,
not from notify's adapters, so a mistake in an adapter shows up as a refusal here."""

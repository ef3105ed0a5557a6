"""The published language of the platform: event envelopes and the events each service publishes."""

"""Channel adapters: one interface (`ChannelAdapter`), one module per channel and provider (NT-2)."""

"""Channel adapters, not a slice: one interface (`base.ChannelAdapter`), one module per outside channel named for its
`Channel` value (`email`, `sms`, `wechat`, `webhook`: the provider's adapter, its account and its signing), and
`registry.build_adapters` choosing those whose keys are set (NT-2). Only `dispatch/` sends through them."""

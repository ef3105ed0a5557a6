"""The five services. Each imports only `chassis` and `contracts`, never another service."""

"""The container backend: a function run in Lambda-like docker containers, kept warm in a pool."""

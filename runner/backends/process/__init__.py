"""The process backend: a function run as local processes by our emulator and runtime client."""

"""Local invocation of Lambda functions: emulator, runtime client, process and container backends."""

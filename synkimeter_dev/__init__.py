"""Development-only code: the sample-clip generator and simulated landmark tracks. Not shipped in
the runtime package; the tests, benchmarks and validation tools use it."""

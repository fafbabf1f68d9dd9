"""End-to-end helpers: real OpenStack services run against the test rig."""

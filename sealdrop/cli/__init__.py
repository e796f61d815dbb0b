"""The `sealdrop` command and the demo it can run; the only entry points of the core."""

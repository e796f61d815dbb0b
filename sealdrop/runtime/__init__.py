"""Start-up wiring: opening an instance's collaborators, first-run set-up, pre-serve checks."""
